"""``e4s-studio`` command line: the headless entry point (no Qt is imported here).

Every user-facing failure is an ``E4SError``; it is printed as one line and
exits with status 2, never as a traceback.
"""

import argparse
import logging
import sys
import time
from pathlib import Path

from e4s_core.errors import E4SError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="e4s-studio",
        description="E4S Studio: fine-grained face editing and swapping by regional GAN inversion.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("info", help="load a model and describe it")
    _model_options(info)

    recon = commands.add_parser("reconstruct", help="encode an aligned face and render it back")
    recon.add_argument("image", type=Path, help="aligned square face image")
    recon.add_argument("labels", type=Path, help="label map image of the same face")
    recon.add_argument("-o", "--output", type=Path, required=True, help="output image (PNG/JPEG)")
    recon.add_argument(
        "--labels-format",
        default="e4s",
        choices=["e4s", "celebamask-hq", "bisenet", "color"],
        help="how the label image is coded (default: the 12 E4S ids)",
    )
    recon.add_argument("--size", type=int, help="render stage size (e.g. 256 for the preview)")
    recon.add_argument("--reference", action="store_true", help="use the slow per-region loop")
    _model_options(recon)

    convert = commands.add_parser(
        "convert-checkpoint", help="rewrite a model file as a tensors-only E4S Studio model"
    )
    convert.add_argument("source", type=Path)
    convert.add_argument("destination", type=Path)
    convert.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow Python objects in SOURCE (runs its pickled code: only for files you trust)",
    )

    commands.add_parser("selftest", help="build a small random model and check the engine end to end")
    return parser


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="checkpoint file (default: the bundled model)")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: best available)")
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "float16", "bfloat16"], help="weights dtype"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        print(
            "The E4S Studio window is not part of this version yet; use a command"
            " (e4s-studio --help lists them).",
            file=sys.stderr,
        )
        return 2
    from . import commands

    try:
        return commands.run(args)
    except E4SError as error:
        print(f"e4s-studio: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("e4s-studio: interrupted", file=sys.stderr)
        return 130


def elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.2f} s"
