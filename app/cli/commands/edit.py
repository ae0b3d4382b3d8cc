"""``e4s-studio edit``: one edit of a photo, as the studio makes it, written as a photo.

e4s-studio edit photo.jpg --reference ref.jpg --regions hair -o out.jpg          # hair from ref
e4s-studio edit photo.jpg --reference ref.jpg --regions hair,skin --alpha 0.5 -o out.jpg --crop
e4s-studio edit photo.jpg --labels edited_labels.png -o out.jpg                  # a shape edit
"""

import argparse
import time
from pathlib import Path

from app.studio.models.result import RESULT_VIEWS
from e4s_core.errors import InputError
from e4s_core.files import OutputFiles
from e4s_core.regions import REGIONS, region_id

from ..options import (
    add_face_option,
    add_labels_format,
    add_model_options,
    add_parser_option,
    face_index,
    face_parser,
    image_output,
    load_model,
)
from ..output import elapsed
from ..registry import command


def _edit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photo", type=Path, help="the photo to edit (or an aligned face)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the edited photo (PNG/JPEG/...)")
    parser.add_argument("--reference", type=Path, help="the face whose region textures to take")
    parser.add_argument(
        "--regions",
        help="regions to take from the reference, e.g. hair,skin (names: " + _region_names() + ")",
    )
    parser.add_argument(
        "--alpha", type=float, default=1.0, help="how much: 1 swaps (default), 0.5 mixes halfway"
    )
    parser.add_argument("--labels", type=Path, help="an edited label map of the aligned face: a shape edit")
    add_labels_format(parser, "--labels")
    parser.add_argument(
        "--crop", action="store_true", help="write the aligned face crop, not the whole photo"
    )
    parser.add_argument(
        "--render", action="store_true", help="write the model's raw render instead of the photo"
    )
    add_face_option(parser)
    add_parser_option(parser)
    add_model_options(parser)


def _region_names() -> str:
    return ", ".join(region.name for region in REGIONS)


def _regions(text: str | None) -> tuple[int, ...]:
    names = [name for name in (text or "").split(",") if name.strip()]
    try:
        return tuple(sorted({region_id(name) for name in names}))
    except ValueError as error:
        raise InputError(f"--regions: {error}") from error


@command(
    "edit",
    "edit a photo's face (texture from a reference, or a new label map) and write the photo",
    _edit_arguments,
)
def edit(args: argparse.Namespace) -> int:
    from app.studio.models.document import Document, load_face, make_reference
    from app.studio.models.result import ResultRenderer, pasted_photo
    from e4s_core import imageio
    from e4s_core.photo.io import write_photo

    regions = _regions(args.regions)
    if (args.reference is None) != (not regions):
        raise InputError("--reference and --regions go together: the regions to take from that face.")
    if args.reference is None and args.labels is None:
        raise InputError("Nothing to do: give --reference REF --regions NAMES, or --labels EDITED_LABELS.")
    if not 0 <= args.alpha <= 1:
        raise InputError(f"--alpha must be between 0 and 1 (1 swaps, 0 keeps the photo), got {args.alpha}")
    outputs = OutputFiles(image_output(args.output, "the edited photo"))
    labels = imageio.read_labels(args.labels, args.labels_format) if args.labels is not None else None
    parser = face_parser(args)
    model = load_model(args)
    start = time.perf_counter()
    document = Document.open(model, args.photo, face_index(args), parser)
    if args.reference is not None:
        reference = document.add_reference(make_reference(model, load_face(args.reference, parser=parser)))
        missing = [REGIONS[r].label for r in regions if r not in reference.labels]
        if missing:
            raise InputError(f"{args.reference.name} has no {', '.join(missing)} to take a texture from.")
        document.apply_texture(reference.hash, regions, args.alpha)
    if labels is not None:
        document.canvas.replace(labels, f"Open mask {args.labels.name}")
    print(f"opened and encoded in {elapsed(start)}", flush=True)
    start = time.perf_counter()
    result = ResultRenderer().render(model, document, document.snapshot())
    view = RESULT_VIEWS[1] if args.render else RESULT_VIEWS[0]
    with outputs:
        target = outputs.temp(args.output)
        if args.crop:
            write_photo(result.face(view), target)
        else:
            photo = document.source.photo
            pasted = pasted_photo(document.source, result, view)
            write_photo(pasted, target, alpha=photo.alpha, icc_profile=photo.icc_profile, exif=photo.exif)
    print(f"edited in {elapsed(start)} ({view} view): wrote {args.output}")
    return 0
