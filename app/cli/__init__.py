"""``e4s-studio`` command line: the headless entry point (no Qt is imported here).

Without a command (or with just a PHOTO) it opens the studio window. Commands live in
``app/cli/commands/``, one module per family, each registering its own (``registry.py``).
Every user-facing failure is an ``E4SError``; it is printed as one line and exits with
status 2, never as a traceback.
"""

import argparse
import contextlib
import importlib
import logging
import os
import pkgutil
import signal
import sys
import threading

from e4s_core.errors import E4SError
from e4s_core.untrusted import printable

from . import commands as families
from .registry import Command, registered_commands


def all_commands() -> dict[str, Command]:
    """Every command of every family (importing a family module registers its commands)."""
    for module in pkgutil.iter_modules(families.__path__):
        importlib.import_module(f"{families.__name__}.{module.name}")
    return registered_commands()


def build_parser(commands: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    commands = all_commands() if commands is None else commands
    parser = argparse.ArgumentParser(
        prog="e4s-studio",
        description="E4S Studio: fine-grained face editing and swapping by regional GAN inversion."
        " Without a command (or with just a PHOTO) it opens the studio window;"
        " --screenshot OUT.png [PHOTO] renders the window offscreen.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands.values():
        command.add_arguments(subparsers.add_parser(command.name, help=command.help))
    return parser


def build_studio_parser(commands: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    listed = ", ".join(commands) if commands else "e.g. align, parse, edit, swap"
    parser = argparse.ArgumentParser(
        prog="e4s-studio",
        description=f"Open the E4S Studio window (commands: {listed}; see --help).",
    )
    parser.add_argument("photo", nargs="?", help="a photo or aligned face to open")
    parser.add_argument("--model", help="checkpoint file (default: the last chosen, else the bundled model)")
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--screenshot", metavar="OUT.png", help="render the window offscreen to a PNG and exit"
    )
    return parser


def _names_a_file(argument: str) -> bool:
    """A photo's path, never a command's name (command names hold neither dots nor slashes)."""
    return any(sign in argument for sign in (".", "/", os.sep))


OUT_OF_MEMORY = "ran out of memory. Use a smaller photo or --size, or close other programs, then try again."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    wants_help = any(a in ("-h", "--help") for a in argv)
    if not wants_help and (first is None or _names_a_file(first)):
        # The window: skip importing every command (and PyTorch with them) so it shows at once.
        return _open_studio(build_studio_parser().parse_args(argv))
    commands = all_commands()
    if first not in commands and not wants_help:
        return _open_studio(build_studio_parser(commands).parse_args(argv))
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    with _sigterm_as_exception():
        try:
            return commands[args.command].run(args)
        except E4SError as error:
            return _fail(error)
        except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as Unix tools do
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (Python flushes stdout at exit)
            return 141
        except OSError as error:  # the last net for a file error no reader named (exit 2, one line)
            where = f" ({error.filename})" if error.filename else ""
            return _fail(f"{error.strerror or error}{where}. Check the file and the folder, then try again.")
        except MemoryError:
            return _fail(OUT_OF_MEMORY)
        except RuntimeError as error:
            if not any(sign in str(error) for sign in ("out of memory", "can't allocate memory")):
                raise  # a bug, not bad input: its traceback is what a report needs
            return _fail(OUT_OF_MEMORY)
        except KeyboardInterrupt:
            return _fail("interrupted", 130)
        except Terminated:
            return _fail("terminated", 143)


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so every ``finally`` and output cleanup runs."""


@contextlib.contextmanager
def _sigterm_as_exception():
    if threading.current_thread() is not threading.main_thread():  # signals go to the main thread
        yield
        return

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(error: object, status: int = 2) -> int:
    print(f"e4s-studio: {printable(error)}", file=sys.stderr)
    return status


def _open_studio(args: argparse.Namespace) -> int:
    from app.studio.launch import run_studio  # Qt is imported only when the window opens

    try:
        return run_studio(args.photo, args.model, args.device, args.screenshot)
    except E4SError as error:
        return _fail(error)
