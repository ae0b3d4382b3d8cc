"""Project commands: ``render-project`` replays a studio project's edits headless."""

import argparse
import time
from pathlib import Path

from e4s_core.errors import InputError

from ..options import add_model_options, load_model
from ..output import elapsed
from ..registry import command


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="the result face (PNG/JPEG)")
    parser.add_argument("--photo", type=Path, help="also write the result pasted back into the photo")
    add_model_options(parser)


@command("render-project", "replay an .e4s project's edits headless and render the result", _render_arguments)
def render_project(args: argparse.Namespace) -> int:
    """The studio's edits, replayed without Qt: parsed map + encoded vectors + history."""
    from app.studio.models.document import pasted_result
    from app.studio.models.project import load_project, replay
    from e4s_core import imageio
    from e4s_core.photo.io import write_photo
    from e4s_core.rendering import render_face

    imageio.check_writable_image_path(args.output)
    if args.photo is not None:
        imageio.check_writable_image_path(args.photo)
    document = load_project(args.project)
    model = load_model(args)
    if document.base_vectors.shape[1] != model.config.vector_dim:
        raise InputError(f"{args.project.name} was made with a different model (vectors of another size).")
    labels, vectors = replay(document)
    start = time.perf_counter()
    result = render_face(model, labels, vectors)
    print(f"replayed {document.history.position} edits, rendered in {elapsed(start)}")
    write_photo(result, args.output)
    if args.photo is not None:
        pasted = pasted_result(document.source, result, labels)
        if pasted is None:
            raise InputError(f"{args.project.name} has no original photo to paste into.")
        write_photo(pasted, args.photo)
    print(f"wrote {args.output}" + (f" and {args.photo}" if args.photo else ""))
    return 0
