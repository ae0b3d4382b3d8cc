"""The model manager: install (checked, copied, hashed), use, verify, remove; CLI and dialog."""

import os

import numpy as np
import pytest
import torch
from conftest import random_network, tiny_config

from app.cli import main
from e4s_core import save_model
from e4s_core.errors import CheckpointError, E4SError, InputError
from e4s_core.model_files import ModelRegistry
from e4s_core.photo.bisenet import BiSeNet


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    parser = folder / "79999_iter.pth"
    torch.save(BiSeNet().state_dict(), parser)
    model = save_model(random_network(tiny_config()), folder / "tiny.pt", metadata={"name": "tiny"})
    return parser, model


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("E4S_DATA", str(tmp_path / "data"))
    return ModelRegistry()


def test_install_use_verify_remove_round_trip(registry, files):
    parser, model = files
    entry = registry.install(parser)  # named after the known file it is
    assert (entry.name, entry.kind, entry.size) == ("bisenet", "parser", parser.stat().st_size)
    assert entry.sha256 == __import__("hashlib").sha256(parser.read_bytes()).hexdigest()
    assert registry.install(model, "mine").kind == "model"
    assert registry.active("parser") == "landmarks" and registry.active_file("parser") is None
    registry.use("bisenet")
    assert registry.active_file("parser").read_bytes() == parser.read_bytes()
    assert registry.verify() == {"bisenet": "ok", "mine": "ok"}
    registry.remove("bisenet")
    assert set(registry.installed()) == {"mine"} and registry.active("parser") == "landmarks"
    assert sorted(p.name for p in registry.folder.iterdir()) == ["mine.pt", "registry.json"]


def test_a_file_changed_after_install_is_reported_not_used(registry, files):
    _, model = files
    registry.install(model, "mine")
    registry.use("mine")
    installed = registry.folder / "mine.pt"
    data = bytearray(installed.read_bytes())
    data[-100] ^= 0xFF  # same size, other bytes
    installed.write_bytes(bytes(data))
    assert registry.verify()["mine"] == "has changed"
    with pytest.raises(CheckpointError, match="'mine' has changed since it was installed.*will not use it"):
        registry.active_file("model")
    installed.unlink()
    assert registry.verify()["mine"] == "is missing"


@pytest.mark.parametrize("name", ["landmarks", "e4s-studio-default", "../escape", ""])
def test_reserved_and_unsafe_names_are_refused(registry, files, name):
    with pytest.raises(InputError):
        registry.install(files[1], name or "-")


def test_files_that_are_not_weights_are_refused_and_nothing_is_left(registry, tmp_path):
    (tmp_path / "notes.pt").write_text("hello")
    with pytest.raises(CheckpointError):
        registry.install(tmp_path / "notes.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a BiSeNet face parser file"):
        registry.install(tmp_path / "other.pt")
    assert not registry.folder.exists() or not any(registry.folder.iterdir())


def test_an_unwritable_data_folder_is_reported(tmp_path, monkeypatch, files):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("E4S_DATA", str(blocker))
    with pytest.raises(E4SError, match="Cannot install into"):
        ModelRegistry().install(files[1], "mine")


def test_the_cli_installs_uses_and_the_commands_follow(registry, files, tmp_path, capsys):
    parser, model = files
    assert main(["models", "install", str(model), "--name", "mine"]) == 0
    assert main(["models", "use", "mine"]) == 0
    assert main(["info"]) == 0  # no --model: the one in use
    assert "tiny" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "* mine" in listing and "79999_iter.pth" in listing and "zllrunning" in listing
    assert main(["models", "verify"]) == 0 and main(["models", "remove", "mine"]) == 0
    assert main(["models", "remove", "mine"]) == 2
    assert "No installed model or parser is called 'mine'" in capsys.readouterr().err


def test_the_dialog_installs_and_chooses(registry, files, qtbot):
    from app.studio.widgets.model_manager import ModelManagerDialog

    dialog = ModelManagerDialog(registry)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2  # the built-in model and parser
    assert dialog.install(str(files[1]), "mine") and dialog.table.rowCount() == 3
    with qtbot.waitSignal(dialog.chosen) as chosen:
        assert dialog.use("mine")
    kind, path = chosen.args
    assert kind == "model" and os.path.samefile(path, registry.folder / "mine.pt")
    assert not dialog.install(str(files[0].parent / "missing.pth")) and "not found" in dialog.message.text()
    assert np.any([dialog.table.item(r, 0).text() == "✓" for r in range(dialog.table.rowCount())])
