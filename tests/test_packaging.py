"""The wheel carries every package and the bundled resources (a non-editable install works)."""

import tomllib
from pathlib import Path

from e4s_core import paths

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_python_package_is_listed_for_the_wheel():
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("app", "e4s_core")
        for init in (ROOT / top).rglob("__init__.py")
    }
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    assert on_disk <= listed, f"add to pyproject.toml packages: {sorted(on_disk - listed)}"
    assert paths.RESOURCES_PACKAGE in listed


def test_resources_travel_as_the_data_package():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"][paths.RESOURCES_PACKAGE] == "resources"
    patterns = setuptools["package-data"][paths.RESOURCES_PACKAGE]
    shipped = {p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*") if p.is_file()}
    uncovered = {str(p) for p in shipped if not any(p.match(pattern) for pattern in patterns)}
    assert not uncovered, f"resources not in package-data: {sorted(uncovered)}"


def test_resources_are_found_beside_the_source_or_from_the_environment(monkeypatch, tmp_path):
    import importlib

    assert paths.RESOURCES_DIR == ROOT / "resources"
    monkeypatch.setenv("E4S_RESOURCES", str(tmp_path))
    try:
        reloaded = importlib.reload(paths)
        assert tmp_path / "models" / "e4s-studio-default.pt" == reloaded.DEFAULT_MODEL_FILE
    finally:
        monkeypatch.delenv("E4S_RESOURCES")
        importlib.reload(paths)
