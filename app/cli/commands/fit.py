"""``e4s-studio fit``: the paper's optimisation phase (and optional generator fine-tuning) on one face.

e4s-studio fit face.png labels.png -o fitted.png                    # 50 Adam steps on the vectors
e4s-studio fit photo.jpg -o fitted.png --finetune-steps 200 --save-model tuned.pt
"""

import argparse
from pathlib import Path

from e4s_core import paper_constants as paper
from e4s_core.errors import InputError
from e4s_core.files import OutputFiles

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
from ..output import ProgressPrinter
from ..registry import command


def _fit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, help="an aligned face, or any photo (its face is aligned first)")
    parser.add_argument("labels", type=Path, nargs="?", help="label map of IMAGE (default: parse the face)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the fitted face (PNG/JPEG)")
    parser.add_argument(
        "--vectors-steps",
        type=int,
        default=paper.FIT_VECTORS_STEPS,
        help=f"Adam steps on the region vectors (default: the paper's {paper.FIT_VECTORS_STEPS})",
    )
    parser.add_argument(
        "--finetune-steps",
        type=int,
        default=0,
        help=f"then fine-tune the generator N steps (the paper: {paper.FINETUNE_STEPS}; default 0)",
    )
    parser.add_argument("--save-model", type=Path, help="write the fine-tuned model here (.pt)")
    add_labels_format(parser, "LABELS")
    add_face_option(parser, " when IMAGE is a photo")
    add_parser_option(parser)
    add_model_options(parser)


def _read_face(args):
    """-> (uint8 [S, S, 3] aligned face, uint8 [h, w] E4S labels)."""
    from e4s_core import imageio
    from e4s_core.photo.io import read_photo
    from e4s_core.photo.parse import parse_face
    from e4s_core.photo.pipeline import open_face

    if args.labels is not None:
        rgb = read_photo(args.image).rgb
        if rgb.shape[0] != rgb.shape[1]:
            raise InputError(
                f"{args.image.name} is {rgb.shape[1]}x{rgb.shape[0]}; with a label map the image must be"
                " the aligned square face. Leave out LABELS to align and parse a photo."
            )
        return rgb, imageio.read_labels(args.labels, args.labels_format)
    opened = open_face(args.image, face_index(args))
    labels = parse_face(opened.aligned, face_parser(args))
    note = "already aligned" if opened.was_aligned else "aligned"
    print(f"{args.image.name}: face {note} and parsed", flush=True)
    return opened.aligned.image, labels


def _report(phase: str, result) -> None:
    state = "cancelled" if result.cancelled else "done"
    print(
        f"{phase} {state}: {result.steps_done} steps, loss {result.losses[0]:.4f} -> {result.best_loss:.4f},"
        f" face PSNR {result.psnr_before:.2f} -> {result.psnr_after:.2f} dB,"
        f" {result.seconds:.1f} s on {result.device}",
        flush=True,
    )


@command(
    "fit",
    "refine a face's region vectors on the photo (and optionally fine-tune the generator)",
    _fit_arguments,
)
def fit(args: argparse.Namespace) -> int:
    import torch

    from e4s_core import imageio
    from e4s_core.checkpoint import save_model
    from e4s_core.fitting import finetune_generator, fit_vectors
    from e4s_core.photo.io import write_photo

    wanted = [image_output(args.output, "the fitted face")]
    if args.save_model is not None:
        wanted.append((args.save_model, (".pt",), "the tuned model"))
    outputs = OutputFiles(*wanted)  # checked now: a fit takes minutes
    if args.vectors_steps < 0 or args.finetune_steps < 0:
        raise InputError("--vectors-steps and --finetune-steps must be 0 or more")
    if args.save_model is not None and args.finetune_steps == 0:
        raise InputError("--save-model needs --finetune-steps N (there is no tuned model to save)")
    rgb, labels = _read_face(args)
    model = load_model(args)
    image = imageio.image_to_tensor(rgb)  # [1, 3, S, S]
    label_map = imageio.labels_to_tensor(labels)  # [1, h, w]

    result = fit_vectors(
        model, image, label_map, steps=args.vectors_steps, progress=ProgressPrinter("vectors")
    )
    _report("vectors", result)
    vectors, final = result.vectors, model
    if args.finetune_steps:
        tuned = finetune_generator(
            model, image, label_map, vectors, steps=args.finetune_steps, progress=ProgressPrinter("finetune")
        )
        _report("finetune", tuned)
        final = tuned.model
    with torch.no_grad():
        rendered = final.render(final.style_codes(vectors), label_map)
    with outputs:  # the face and the tuned model land together, or neither
        write_photo(imageio.tensor_to_image(rendered), outputs.temp(args.output))
        if args.save_model is not None:
            metadata = {**final.info.metadata, "name": final.info.name}
            save_model(final.network, outputs.temp(args.save_model), metadata)
    print(f"wrote {args.output}" + (f" and {args.save_model}" if args.save_model else ""))
    return 0
