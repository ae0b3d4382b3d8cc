"""``e4s-studio models``: the model and parser files installed for E4S Studio (the model manager).

e4s-studio models list                               # what is installed and in use, and what exists
e4s-studio models install iteration_300000.pt        # check strictly, copy, record size and sha256
e4s-studio models use e4s-authors                    # the model (or parser) commands use by default
e4s-studio models verify                             # re-hash every installed file
e4s-studio models remove e4s-authors
"""

import argparse
from pathlib import Path

from e4s_core.untrusted import printable

from ..registry import command


def _models_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="installed files, the ones in use, and the files people use")
    install = actions.add_parser("install", help="check a model or parser file and install it")
    install.add_argument("file", type=Path)
    install.add_argument("--name", help="the name to install it under (default: from the file)")
    verify = actions.add_parser("verify", help="check installed files are unchanged (reads every byte)")
    verify.add_argument("name", nargs="?", help="one file (default: all)")
    remove = actions.add_parser("remove", help="delete an installed file")
    remove.add_argument("name")
    use = actions.add_parser("use", help="make an installed (or built-in) file the one commands use")
    use.add_argument("name")


@command("models", "list, install, verify, remove or choose model and parser files", _models_arguments)
def models(args: argparse.Namespace) -> int:
    from e4s_core.model_files import BUILT_IN, KINDS, KNOWN_FILES, ModelRegistry, describe_size

    registry = ModelRegistry()
    if args.action == "install":
        entry = registry.install(args.file, args.name)
        size = describe_size(entry.size)
        print(f"installed {KINDS[entry.kind]} '{entry.name}' ({size}, sha256 {entry.sha256})")
        print(f"  in {registry.folder}; make it the default with: e4s-studio models use {entry.name}")
        return 0
    if args.action == "remove":
        registry.remove(args.name)
        print(f"removed '{args.name}'")
        return 0
    if args.action == "use":
        kind = registry.use(args.name)
        print(f"'{args.name}' is now the {KINDS[kind]} commands and the studio use by default")
        return 0
    if args.action == "verify":
        results = registry.verify(args.name)
        for name, state in results.items():
            print(f"{printable(name):<24} {state}")
        if not results:
            print("nothing installed")
        return 0 if all(state == "ok" for state in results.values()) else 1
    installed = registry.installed()
    active = {kind: registry.active(kind) for kind in KINDS}
    rows = [(name, kind, "built in", "") for name, kind in BUILT_IN.items()]
    rows += [(e.name, e.kind, describe_size(e.size), e.original) for e in installed.values()]
    print(f"installed in {registry.folder} (* = in use):")
    for name, kind, size, original in rows:
        mark = "*" if active[kind] == name else " "
        print(f" {mark} {printable(name):<22} {KINDS[kind]:<12} {size:>10}  {printable(original)}")
    print("files people use, and where they get them (nothing is downloaded for you):")
    for known in KNOWN_FILES:
        if known.name not in BUILT_IN:
            print(f"  {known.file_name}: {known.what}\n    {known.where}")
    return 0
