"""Project commands: ``render-project`` replays a studio project's edits headless."""

import argparse
import time
from pathlib import Path

from app.studio.models.result import RESULT_VIEWS
from e4s_core.errors import InputError
from e4s_core.files import OutputFiles

from ..options import add_model_options, image_output, load_model
from ..output import elapsed
from ..registry import command


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="the result face (PNG/JPEG)")
    parser.add_argument("--photo", type=Path, help="also write the whole photo with the edit")
    parser.add_argument(
        "--view",
        choices=RESULT_VIEWS,
        help="photo: the photo with the edit; render: the model's raw render (default: as saved)",
    )
    add_model_options(parser)


@command("render-project", "replay an .e4s project's edits headless and render the result", _render_arguments)
def render_project(args: argparse.Namespace) -> int:
    """The studio's edits, replayed without Qt and composited as the window does."""
    from app.studio.models.project import load_project, replay
    from app.studio.models.result import DEFAULT_VIEW, ResultRenderer, pasted_photo
    from e4s_core.photo.io import write_photo

    wanted = [image_output(args.output, "the face")]
    if args.photo is not None:
        wanted.append(image_output(args.photo, "the photo"))
    outputs = OutputFiles(*wanted)
    document = load_project(args.project)
    model = load_model(args)
    if document.base_vectors.shape[1] != model.config.vector_dim:
        raise InputError(f"{args.project.name} was made with a different model (vectors of another size).")
    replayed = replay(document)
    view = args.view or document.result_view or DEFAULT_VIEW
    start = time.perf_counter()
    result = ResultRenderer().render(model, replayed, replayed.snapshot())
    print(f"replayed {document.history.position} edits, rendered in {elapsed(start)} ({view} view)")
    pasted = None
    if args.photo is not None:
        pasted = pasted_photo(document.source, result, view)
        if pasted is None:
            raise InputError(f"{args.project.name} has no original photo to paste into.")
    with outputs:
        write_photo(result.face(view), outputs.temp(args.output))
        if pasted is not None:
            photo = document.source.photo
            write_photo(pasted, outputs.temp(args.photo), alpha=photo.alpha, icc_profile=photo.icc_profile)
    print(f"wrote {args.output}" + (f" and {args.photo}" if args.photo else ""))
    return 0
