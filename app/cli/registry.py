"""The command registry: every ``e4s-studio`` subcommand, declared where its handler lives.

A command family is a module in ``app/cli/commands/``; each of its handlers registers itself
with ``@command(name, help, arguments)``. ``app.cli.all_commands()`` imports every module in
that package, so adding a command touches one file and no list is kept by hand.

    def _arguments(parser):                      # adds the command's own options
        parser.add_argument("photo", type=Path)

    @command("align", "find a face and cut its aligned crop", _arguments)
    def align(args) -> int: ...                  # returns the exit status
"""

import argparse
from collections.abc import Callable
from dataclasses import dataclass

Handler = Callable[[argparse.Namespace], int]
AddArguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str  # what the user types: "render-project"
    help: str  # one line for the command list
    add_arguments: AddArguments
    run: Handler
    family: str  # the module that declares it: "project"


_REGISTERED: dict[str, Command] = {}


def command(name: str, help: str, arguments: AddArguments | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``e4s-studio NAME``."""

    def register(run: Handler) -> Handler:
        if name in _REGISTERED:
            raise RuntimeError(f"command {name!r} is registered twice")
        family = run.__module__.rsplit(".", 1)[-1]
        _REGISTERED[name] = Command(name, help, arguments or (lambda parser: None), run, family)
        return run

    return register


def registered_commands() -> dict[str, Command]:
    """Every command registered so far by name, in family then declaration order."""
    return dict(sorted(_REGISTERED.items(), key=lambda item: item[1].family))
