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

from . import fit_commands, train_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="e4s-studio",
        description="E4S Studio: fine-grained face editing and swapping by regional GAN inversion."
        " Without a command (or with just a PHOTO) it opens the studio window;"
        " --screenshot OUT.png [PHOTO] renders the window offscreen.",
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

    align = commands.add_parser("align", help="find a face in a photo and cut its FFHQ-aligned crop")
    align.add_argument("photo", type=Path)
    align.add_argument(
        "-o", "--output", type=Path, required=True, help="aligned crop (PNG); a .align.json goes beside it"
    )
    align.add_argument("--face", type=int, default=1, help="which face, 1 = the largest (default)")
    align.add_argument("--size", type=int, default=1024, help="crop size in pixels (default 1024)")

    parse = commands.add_parser("parse", help="split a face into the 12 E4S regions (offline)")
    parse.add_argument("image", type=Path, help="an aligned crop, or any photo (it is aligned first)")
    parse.add_argument("-o", "--output", type=Path, required=True, help="12-class label PNG (values 0..11)")
    parse.add_argument(
        "--color", nargs="?", type=Path, const=True, help="also write a colored preview (optional path)"
    )
    parse.add_argument("--face", type=int, default=1, help="which face when IMAGE is a photo (1 = largest)")

    paste = commands.add_parser("paste", help="blend an edited aligned crop back into its photo")
    paste.add_argument("result", type=Path, help="the edited aligned crop")
    paste.add_argument("--into", type=Path, required=True, help="the original photo")
    paste.add_argument("-o", "--output", type=Path, required=True)
    paste.add_argument(
        "--alignment", type=Path, help="the .align.json written by align (default: RESULT with .align.json)"
    )
    paste.add_argument("--labels", type=Path, help="label map of RESULT (default: parse RESULT)")

    project = commands.add_parser(
        "render-project", help="replay an .e4s project's edits headless and render the result"
    )
    project.add_argument("project", type=Path)
    project.add_argument("-o", "--output", type=Path, required=True, help="the result face (PNG/JPEG)")
    project.add_argument("--photo", type=Path, help="also write the result pasted back into the photo")
    _model_options(project)

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
    train_commands.add_commands(commands)
    fit_commands.add_commands(commands)
    return parser


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="checkpoint file (default: the bundled model)")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: best available)")
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "float16", "bfloat16"], help="weights dtype"
    )


COMMANDS = (
    "align",
    "parse",
    "paste",
    "render-project",
    "info",
    "reconstruct",
    "convert-checkpoint",
    "selftest",
    *train_commands.HANDLED,
    *fit_commands.HANDLED,
)


def build_studio_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="e4s-studio",
        description="Open the E4S Studio window (commands: " + ", ".join(COMMANDS) + "; see --help).",
    )
    parser.add_argument("photo", nargs="?", help="a photo or aligned face to open")
    parser.add_argument("--model", help="checkpoint file (default: the last chosen, else the bundled model)")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--screenshot", metavar="OUT.png", help="render the window offscreen to a PNG and exit"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    wants_help = any(a in ("-h", "--help") for a in argv)
    if first not in COMMANDS and not wants_help:
        studio_args = build_studio_parser().parse_args(argv)
        from .studio import run_studio

        try:
            return run_studio(
                studio_args.photo, studio_args.model, studio_args.device, studio_args.screenshot
            )
        except E4SError as error:
            print(f"e4s-studio: {error}", file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        build_parser().print_help()
        return 0
    from . import commands

    try:
        if args.command in train_commands.HANDLED:
            return train_commands.run(args)
        if args.command in fit_commands.HANDLED:
            return fit_commands.run(args)
        return commands.run(args)
    except E4SError as error:
        print(f"e4s-studio: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("e4s-studio: interrupted", file=sys.stderr)
        return 130


def elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.2f} s"


if __name__ == "__main__":  # python -m app.cli (what torchrun launches)
    sys.exit(main())
