"""Photo commands: ``align`` a face, ``parse`` it into the 12 regions, ``paste`` an edit back."""

import argparse
import time
from pathlib import Path

import numpy as np

from e4s_core import imageio
from e4s_core.errors import InputError
from e4s_core.files import OutputFiles
from e4s_core.photo.align import CROP_SIZES

from ..options import (
    add_face_option,
    add_parser_option,
    face_index,
    face_parser,
    image_output,
    in_range,
    labels_output,
)
from ..output import elapsed
from ..registry import command


def _align_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photo", type=Path)
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="aligned crop (PNG); a .align.json goes beside it"
    )
    add_face_option(parser)
    parser.add_argument(
        "--size",
        type=int,
        default=1024,
        help=f"crop size in pixels, {CROP_SIZES[0]}..{CROP_SIZES[1]} (default 1024)",
    )


@command("align", "find a face in a photo and cut its FFHQ-aligned crop", _align_arguments)
def align(args: argparse.Namespace) -> int:
    from e4s_core.photo.align import save_sidecar, sidecar_path
    from e4s_core.photo.io import write_photo
    from e4s_core.photo.pipeline import open_face

    sidecar = sidecar_path(args.output)
    outputs = OutputFiles(image_output(args.output, "the crop"), (sidecar, (".json",), "the alignment file"))
    size = int(in_range("--size", args.size, *CROP_SIZES))
    opened = open_face(args.photo, face_index(args), size, aligned=False)
    aligned = opened.aligned
    with outputs:  # the crop and its alignment land together, or neither
        write_photo(aligned.image, outputs.temp(args.output))
        save_sidecar(aligned, args.output, photo_path=str(args.photo), to=outputs.temp(sidecar))
    print(f"face {aligned.face_index + 1} of {aligned.faces_found}: wrote {args.output} and {sidecar.name}")
    return 0


def _parse_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, help="an aligned crop, or any photo (it is aligned first)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="12-class label PNG (values 0..11)")
    parser.add_argument(
        "--color", nargs="?", type=Path, const=True, help="also write a colored preview (optional path)"
    )
    add_face_option(parser, " when IMAGE is a photo")
    add_parser_option(parser)


@command("parse", "split a face into the 12 E4S regions (offline)", _parse_arguments)
def parse(args: argparse.Namespace) -> int:
    from e4s_core.photo.align import load_sidecar, sidecar_path
    from e4s_core.photo.parse import parse_face
    from e4s_core.photo.pipeline import open_face
    from e4s_core.regions import to_color_mask

    color_path = args.output.with_name(args.output.stem + ".color.png") if args.color is True else args.color
    wanted = [labels_output(args.output)] + (
        [labels_output(color_path, "the colour preview")] if color_path else []
    )
    outputs = OutputFiles(*wanted)
    chosen = face_parser(args)
    opened = open_face(args.image, face_index(args))
    aligned = opened.aligned
    if aligned.landmarks is None and sidecar_path(args.image).exists():
        _, payload = load_sidecar(sidecar_path(args.image))
        if payload.get("landmarks") is not None:
            aligned.landmarks = np.asarray(payload["landmarks"], dtype=np.float64)
    start = time.perf_counter()
    labels = parse_face(aligned, chosen)
    with outputs:
        imageio.write_labels(labels, outputs.temp(args.output))
        if color_path is not None:
            imageio.write_labels(to_color_mask(labels), outputs.temp(color_path))
    note = "" if opened.was_aligned else " (aligned first)"
    print(
        f"parsed in {elapsed(start)}{note}: wrote {args.output}"
        + (f" and {color_path}" if color_path else "")
    )
    return 0


def _paste_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("result", type=Path, help="the edited aligned crop")
    parser.add_argument("--into", type=Path, required=True, help="the original photo")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument(
        "--alignment", type=Path, help="the .align.json written by align (default: RESULT with .align.json)"
    )
    parser.add_argument("--labels", type=Path, help="label map of RESULT (default: parse RESULT)")
    add_parser_option(parser)


@command("paste", "blend an edited aligned crop back into its photo", _paste_arguments)
def paste(args: argparse.Namespace) -> int:
    from e4s_core.photo.align import aligned_as_is, load_sidecar, sidecar_path
    from e4s_core.photo.io import read_photo, write_photo
    from e4s_core.photo.parse import parse_face
    from e4s_core.photo.pipeline import paste_result

    outputs = OutputFiles(image_output(args.output, "the pasted photo"))
    transform, _ = load_sidecar(args.alignment or sidecar_path(args.result))
    result = read_photo(args.result).rgb
    if result.shape[:2] != (transform.size, transform.size):
        raise InputError(
            f"{args.result.name} is {result.shape[1]}x{result.shape[0]}; its alignment expects a"
            f" {transform.size}x{transform.size} crop."
        )
    photo = read_photo(args.into)
    if args.labels is not None:
        labels = imageio.read_labels(args.labels)
    else:
        labels = parse_face(aligned_as_is(result, transform.size, args.result.name), face_parser(args))
    start = time.perf_counter()
    pasted = paste_result(photo, result, transform, labels)
    with outputs:
        target = outputs.temp(args.output)
        write_photo(pasted, target, alpha=photo.alpha, icc_profile=photo.icc_profile, exif=photo.exif)
    print(f"pasted in {elapsed(start)}: wrote {args.output} ({photo.width}x{photo.height})")
    return 0
