"""The shape of the code (ARCHITECTURE.md): which layer may import which, and no import circles.

The import graph is read from the source with ``ast``: every ``import`` and ``from ... import``
statement of every module in ``app/`` and ``e4s_core/``, at any depth (imports inside functions
count: they are circles too, only deferred), except those under ``if TYPE_CHECKING:``, which
never run; plus the CLI's import of every command family, which is by name.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "e4s_core")
QT_MODULES = ("PySide6", "shiboken6", "qtawesome")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _runtime_imports(tree: ast.AST):
    """Import nodes, skipping ``if TYPE_CHECKING:`` blocks."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
        ):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def imports_of(module: str) -> set[str]:
    """Every module name ``module`` imports (ours resolved to the module, others as written)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _runtime_imports(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.add(candidate if candidate in MODULES else base)
    return found


GRAPH = {module: {name for name in imports_of(module) if name in MODULES} - {module} for module in MODULES}
# The CLI imports every command family by name (importlib), which ast cannot see.
GRAPH["app.cli"] |= {m for m in MODULES if m.startswith("app.cli.commands.")}


def find_cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(GRAPH[module]):
            if state.get(imported) == 1:
                return path[path.index(imported) :] + [imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(MODULES):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_graph_sees_the_packages_and_their_imports():
    assert {"app.cli", "app.studio.main_window", "e4s_core.model", "e4s_core.photo.parse"} <= MODULES.keys()
    assert "app.studio.models.edits" in GRAPH["app.studio.models.project"]  # a relative import
    assert "e4s_core.regions" in GRAPH["e4s_core.photo.pipeline"]  # a parent-relative import
    assert "app.studio.launch" in GRAPH["app.cli"]  # an import inside a function


def test_no_module_imports_itself_through_others():
    cycle = find_cycle()
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_engine_never_imports_the_application_or_qt():
    for module in (m for m in MODULES if m.startswith("e4s_core")):
        bad = {name for name in imports_of(module) if name.split(".")[0] in ("app", *QT_MODULES)}
        assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("layer", ["app.cli", "app.studio.models"])
def test_headless_layers_import_no_qt(layer):
    for module in (m for m in MODULES if m == layer or m.startswith(layer + ".")):
        bad = {name for name in imports_of(module) if name.split(".")[0] in QT_MODULES}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_the_studio_models_do_not_reach_into_its_views_or_workers():
    for module in (m for m in MODULES if m.startswith("app.studio.models")):
        bad = {
            name
            for name in GRAPH[module]
            if name.startswith("app.") and not name.startswith("app.studio.models")
        }
        assert not bad, f"{module} imports {sorted(bad)}"


def test_every_command_and_a_project_replay_load_without_qt():
    script = (
        "import sys\n"
        "from app.cli import all_commands\n"
        "from app.studio.models import project\n"
        "assert len(all_commands()) > 10\n"
        f"loaded = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_opening_the_window_starts_without_pytorch_until_the_splash_is_up():
    """``e4s-studio photo.png`` reaches the splash without importing PyTorch (about 2 s on a small
    CPU): the command line's first imports and the launcher stay light."""
    script = (
        "import sys\n"
        "import app.cli, app.studio.launch, e4s_core, e4s_core.errors\n"
        "from app.cli import build_studio_parser\n"
        "build_studio_parser().parse_args(['photo.png'])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert e4s_core.load_model is not None and 'torch' in sys.modules  # imported on first use\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
