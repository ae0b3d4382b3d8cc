"""The e4s-studio command line, run in-process: exit codes, output, files written."""

import shutil
import subprocess

import numpy as np
import pytest
import torch
from conftest import random_network, tiny_config
from PIL import Image

from app.cli import main
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


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    for command in ("info", "reconstruct", "convert-checkpoint", "selftest"):
        assert command in out


def test_selftest_passes(capsys):
    assert main(["selftest"]) == 0
    assert "selftest passed" in capsys.readouterr().out


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
