"""Options several commands share, with their choices taken from ``e4s_core``'s own tables."""

import argparse
import time
from pathlib import Path

from e4s_core.checkpoint import PRECISIONS
from e4s_core.errors import InputError
from e4s_core.imageio import LABEL_FORMATS, LABEL_SUFFIXES
from e4s_core.photo.io import IMAGE_SUFFIXES
from e4s_core.photo.parse import BUILT_IN_PARSER

from .output import elapsed


def image_output(path: Path, what: str = "the image") -> tuple[Path, tuple[str, ...], str]:
    """An image output for ``OutputFiles`` (the types ``write_photo`` writes)."""
    return path, IMAGE_SUFFIXES, what


def labels_output(path: Path, what: str = "the label map") -> tuple[Path, tuple[str, ...], str]:
    """A label-map output for ``OutputFiles``: lossless types only."""
    return path, LABEL_SUFFIXES, what


def in_range(name: str, value: float, low: float, high: float) -> float:
    """``value`` if ``low <= value <= high``, else one clear error naming the option and range."""
    if not (low <= value <= high):  # also refuses NaN
        raise InputError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", type=Path, help="checkpoint file (default: the one in use, see e4s-studio models)"
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: best available)")
    parser.add_argument("--precision", default="float32", choices=list(PRECISIONS), help="weights dtype")


def add_labels_format(parser: argparse.ArgumentParser, what: str = "the label image") -> None:
    parser.add_argument(
        "--labels-format",
        default=LABEL_FORMATS[0],
        choices=LABEL_FORMATS,
        help=f"how {what} is coded (default: the 12 E4S ids)",
    )


def add_face_option(parser: argparse.ArgumentParser, when: str = "") -> None:
    parser.add_argument("--face", type=int, default=1, help=f"which face{when}, 1 = the largest (default)")


def add_parser_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parser",
        metavar="landmarks|PATH",
        help="face parser: the built-in landmark parser or a BiSeNet file such as 79999_iter.pth"
        " (default: the one in use, see e4s-studio models)",
    )


def add_ray_option(parser: argparse.ArgumentParser, pieces: str) -> None:
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help=f'run the {pieces} on Ray workers: "local" starts Ray here, "auto" or ray://HEAD:10001'
        ' joins a cluster (pip install "e4s-studio[ray]")',
    )


def parser_choice(args: argparse.Namespace) -> str:
    """What ``--parser`` names: "landmarks" or a file (the one in use when not given)."""
    from e4s_core.model_files import ModelRegistry

    return str(args.parser or ModelRegistry().active_file("parser") or BUILT_IN_PARSER)


def face_parser(args: argparse.Namespace):
    """The parser ``--parser`` names, loaded (a bad file is one clear error)."""
    from e4s_core.photo.parse import load_parser

    return load_parser(parser_choice(args))


def face_index(args: argparse.Namespace) -> int:
    """The 0-based face index of ``--face`` (which counts from 1)."""
    if args.face < 1:
        raise InputError(f"--face counts from 1 (the largest face), got {args.face}")
    return args.face - 1


def load_model(args: argparse.Namespace):
    """The model of ``--model/--device/--precision``, announced with its load time."""
    import e4s_core
    from e4s_core.model_files import ModelRegistry

    start = time.perf_counter()
    path = args.model if args.model is not None else ModelRegistry().active_file("model")
    model = e4s_core.load_model(path, device=args.device, precision=args.precision)
    print(f"loaded {model.describe()} in {elapsed(start)}", flush=True)
    return model
