"""The e4s-studio command line, run in-process: exit codes, output, files written."""

import pkgutil
import shutil
import subprocess

import numpy as np
import pytest
import torch
from conftest import random_network, tiny_config
from PIL import Image

from app.cli import all_commands, main
from e4s_core import load_model, save_model


@pytest.fixture
def tiny_file(tmp_path):
    return save_model(random_network(tiny_config()), tmp_path / "tiny.pt", metadata={"name": "tiny"})


@pytest.fixture
def face(tmp_path):
    """A 64 px RGB image and a matching E4S label map (ids 0..11)."""
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(64, dtype=np.uint8)[:, None] * 12 // 64, 64, axis=1)  # 12 bands
    Image.fromarray(rgb).save(tmp_path / "face.png")
    Image.fromarray(labels.astype(np.uint8)).save(tmp_path / "labels.png")
    return tmp_path / "face.png", tmp_path / "labels.png"


def test_help_lists_every_registered_command_with_its_help(capsys):
    commands = all_commands()
    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    listed = capsys.readouterr().out.split("options:")[0]
    names = [
        line.split()[0] for line in listed.splitlines() if line[:5].isspace() is False and line[:4] == "    "
    ]
    listed_names = set(names)  # a command's line is indented 4 spaces; wrapped help lines more
    assert listed_names == set(commands)
    assert {"align", "parse", "paste", "render-project", "fit", "train", "selftest"} <= set(commands)
    assert all(
        " ".join(command.help.split()[:3]) in " ".join(listed.split()) for command in commands.values()
    )


@pytest.mark.parametrize("name", sorted(all_commands()))
def test_every_command_has_its_own_help(name, capsys):
    with pytest.raises(SystemExit) as raised:
        main([name, "--help"])
    assert raised.value.code == 0
    assert f"e4s-studio {name}" in capsys.readouterr().out


def test_every_family_module_registers_commands():
    from app.cli import commands as families

    modules = {info.name for info in pkgutil.iter_modules(families.__path__)}
    assert modules == {command.family for command in all_commands().values()}


def test_selftest_passes_and_reports_each_check(capsys):
    assert main(["selftest"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nok   ") + out.startswith("ok   ") == 2 and out.rstrip().endswith("selftest passed")


def test_selftest_fails_with_a_broken_bundled_model(monkeypatch, tmp_path, capsys):
    from e4s_core import paths

    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(paths, "DEFAULT_MODEL_FILE", broken)
    assert main(["selftest"]) == 1
    out = capsys.readouterr().out
    assert "FAIL the bundled model" in out and "selftest FAILED" in out and "Traceback" not in out


def test_info_describes_the_model(tiny_file, capsys):
    assert main(["info", "--model", str(tiny_file), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "64px" in out
    assert "tiny" in out
    assert "e4s-studio format" in out


def test_missing_model_is_one_line_on_stderr(tmp_path, capsys):
    assert main(["info", "--model", str(tmp_path / "missing.pt"), "--device", "cpu"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("e4s-studio: ") and "not found" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_unknown_device_is_one_line_on_stderr(tiny_file, capsys):
    assert main(["info", "--model", str(tiny_file), "--device", "banana"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("e4s-studio: ") and "banana" in err


@pytest.mark.parametrize(("size_args", "size"), [([], 64), (["--size", "16"], 16)])
def test_reconstruct_writes_an_rgb_image(tmp_path, tiny_file, face, capsys, size_args, size):
    output = tmp_path / "out.png"
    argv = ["reconstruct", *map(str, face), "-o", str(output), "--model", str(tiny_file)]

    assert main([*argv, "--device", "cpu", *size_args]) == 0

    assert f"wrote {output}" in capsys.readouterr().out
    with Image.open(output) as image:
        assert image.format == "PNG"
        assert image.mode == "RGB"
        assert image.size == (size, size)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_reconstruct_refuses_label_outside_the_12_regions(tmp_path, tiny_file, face, capsys):
    image, labels = face
    bad = np.asarray(Image.open(labels)).copy()
    bad[10:20, 10:20] = 40
    Image.fromarray(bad).save(labels)
    output = tmp_path / "out.png"
    argv = ["reconstruct", str(image), str(labels), "-o", str(output), "--model", str(tiny_file)]

    assert main([*argv, "--device", "cpu"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("e4s-studio: labels.png") and "40" in err
    assert not output.exists()


@pytest.mark.parametrize("output", ["missing_folder/out.png", "out.xyz"])
def test_reconstruct_rejects_an_unwritable_output_before_working(tmp_path, tiny_file, face, capsys, output):
    image, labels = face
    argv = ["reconstruct", str(image), str(labels), "-o", str(tmp_path / output), "--model", str(tiny_file)]

    assert main([*argv, "--device", "cpu"]) == 2

    captured = capsys.readouterr()
    assert captured.err.startswith("e4s-studio: Cannot write") and "loaded" not in captured.out


def test_convert_checkpoint_rewrites_authors_file(tmp_path, capsys):
    network = random_network(tiny_config(encoder_units=(3, 4, 14, 3)))
    state = {"module." + k: v for k, v in network.state_dict().items()}
    torch.save({"state_dict": state, "latent_avg": network.latent_avg}, tmp_path / "iteration.pt")
    destination = tmp_path / "converted.pt"

    assert main(["convert-checkpoint", str(tmp_path / "iteration.pt"), str(destination)]) == 0

    assert f"wrote {destination}" in capsys.readouterr().out
    model = load_model(destination, device="cpu")
    assert model.info.file_format == "e4s-studio"
    loaded = model.network.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in network.state_dict().items())


@pytest.mark.skipif(shutil.which("e4s-studio") is None, reason="console script not installed")
def test_installed_console_script_runs():
    result = subprocess.run(["e4s-studio", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "reconstruct" in result.stdout
