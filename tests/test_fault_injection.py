"""Fault injection: every command that writes files, run against every way writing can fail.

For each command, with outputs that already exist (so losing them would show): (a) a folder that
refuses writing, (b) a destination that is a folder, (c) a disk that fills half way through a
file, the first or the last one the command writes, (d) SIGTERM arriving half way through a
write. Each must end with its exit code, one line on stderr, no traceback, every existing output
byte-identical and no temporary left behind. Long commands also get a real SIGTERM from outside
(``test_sigterm_from_outside_*``).
"""

import errno
import importlib
import json
import os
import pkgutil
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch
from conftest import random_network, tiny_config
from photos import astronaut, grace_hopper
from PIL import Image
from training_helpers import make_trainer
from video_helpers import moving_face_frames, write_clip

import app.cli
import e4s_core
from app.cli import all_commands, main
from e4s_core import files, save_model
from e4s_core.model_files import ModelRegistry
from e4s_core.training import LossWeights

VERSION_1_PROJECT = Path(__file__).parent / "data" / "project_v1.e4s"
NO_EXTRA_TERMS = LossWeights(identity=0, parsing=0, adversarial=0, perceptual=0)
OLD = b"the user's earlier work, which no failure may touch\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Every input a command needs, made once: tiny model, photos, crop, labels, run, project."""
    folder = tmp_path_factory.mktemp("inputs")
    save_model(random_network(tiny_config()), folder / "model.pt")
    network = random_network(tiny_config(encoder_units=(3, 4, 14, 3)))
    state = {"module." + k: v for k, v in network.state_dict().items()}
    torch.save({"state_dict": state, "latent_avg": network.latent_avg.clone()}, folder / "authors.pt")
    Image.fromarray(astronaut()).save(folder / "astronaut.png")
    Image.fromarray(grace_hopper()).save(folder / "hopper.png")
    assert main(f"align {folder}/astronaut.png -o {folder}/crop.png --size 128".split()) == 0
    assert main(f"parse {folder}/crop.png -o {folder}/labels.png".split()) == 0
    (folder / "config.json").write_text(json.dumps(tiny_config().to_dict()))
    make_trainer(folder / "run", steps=1, weights=NO_EXTRA_TERMS).fit()
    shutil.copy(VERSION_1_PROJECT, folder / "project.e4s")
    write_clip(folder / "clip.mkv", moving_face_frames(3, 192), audio_seconds=0.2)
    return folder


# name -> (argv: {i} is the inputs folder, {out} the outputs'; the files it writes, first to last).
# pytest's folders hold no spaces, so the lines split on them.
MODEL = "--model {i}/model.pt --device cpu"
COMMANDS = {
    "align": ("align {i}/astronaut.png -o {out}/crop.png --size 64", "crop.png crop.align.json"),
    "parse": ("parse {i}/crop.png -o {out}/labels.png --color {out}/colour.png", "labels.png colour.png"),
    "paste": ("paste {i}/crop.png --into {i}/astronaut.png --labels {i}/labels.png -o {out}/p.png", "p.png"),
    "reconstruct": ("reconstruct {i}/crop.png {i}/labels.png -o {out}/r.png " + MODEL, "r.png"),
    "edit": (
        "edit {i}/astronaut.png --reference {i}/hopper.png --regions hair -o {out}/e.png " + MODEL,
        "e.png",
    ),
    "fit": (
        "fit {i}/crop.png {i}/labels.png -o {out}/f.png --save-model {out}/f.pt --vectors-steps 1"
        " --finetune-steps 1 " + MODEL,
        "f.png f.pt",
    ),
    "swap": ("swap {i}/hopper.png {i}/astronaut.png -o {out}/s.png " + MODEL, "s.png"),
    "hair": ("hair {i}/astronaut.png {i}/hopper.png -o {out}/h.png " + MODEL, "h.png"),
    "render-project": (
        "render-project {i}/project.e4s -o {out}/face.png --photo {out}/photo.png " + MODEL,
        "face.png photo.png",
    ),
    "convert-checkpoint": ("convert-checkpoint {i}/authors.pt {out}/c.pt", "c.pt"),
    "export-model": ("export-model {i}/run {out}/x.pt", "x.pt"),
    "train": (
        "train {out}/run --steps 2 --config {i}/config.json --batch-size 1 --workers 0 --device cpu"
        " --weights identity=0,parsing=0,adversarial=0,perceptual=0 --export {out}/t.pt",
        "run/latest.pt t.pt",
    ),
    "train-parser": ("train-parser {out}/parser.pt --steps 1", "parser.pt"),
    "video-edit": (
        "video-edit {i}/clip.mkv --reference {i}/hopper.png --regions hair -o {out}/v.mp4 " + MODEL,
        "v.mp4",
    ),
    "video-swap": ("video-swap {i}/hopper.png {i}/clip.mkv -o {out}/w.mp4 " + MODEL, "w.mp4"),
    "models install": ("models install {i}/model.pt --name mine", "registry.json mine.pt"),  # in {out}/data
}
NAMES = list(COMMANDS)
SEVERAL_OUTPUTS = [name for name, (_, written) in COMMANDS.items() if len(written.split()) > 1]


WRITES_INTO_A_FOLDER = {"swap", "hair"}  # -o FOLDER is how a batch is written, and one pair may use it
# What a command saves as it goes (train's checkpoint): a failure after it keeps the new, whole one.
PROGRESS = {"train": "latest.pt"}


@pytest.fixture
def case(request, inputs, tmp_path, monkeypatch):
    """(argv, outputs, out folder) for one command, its outputs already holding earlier work."""
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("E4S_DATA", str(out / "data"))
    template, written = COMMANDS[request.param]
    argv = template.format(i=inputs, out=out).split()
    outputs = [out / name for name in written.split()]
    if request.param == "models install":
        assert main(argv) == 0
        out = ModelRegistry().folder
        outputs = [out / name for name in written.split()]
    elif request.param == "train":
        shutil.copytree(inputs / "run", out / "run")  # a run in progress: resuming must not lose it
        outputs[1].write_bytes(OLD)
    else:
        for path in outputs:
            path.write_bytes(OLD)
    return argv, outputs, out


def snapshot(paths: list[Path]) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths}


def assert_nothing_lost(before: dict[Path, bytes], folder: Path) -> None:
    for path, content in before.items():
        assert path.is_file() and path.read_bytes() == content, f"{path.name} changed"
    left = [p.name for p in folder.rglob(".e4s-*")]
    assert left == [], f"temporaries left: {left}"


def assert_one_line(capsys, status: int, expected: int = 2) -> str:
    err = capsys.readouterr().err
    assert status == expected, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("e4s-studio: "), err
    assert "Traceback" not in err
    return lines[0]


# -- (a) a folder that refuses writing --------------------------------------------------------------
@pytest.mark.parametrize("case", NAMES, indirect=True)
def test_an_unwritable_folder_is_refused_before_any_work(case, capsys, monkeypatch):
    argv, outputs, out = case
    refused = {out, *(p.parent for p in outputs)}
    real_access, real_mkstemp = os.access, tempfile.mkstemp

    def access(path, mode, *args, **kwargs):
        if Path(path) in refused and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    def mkstemp(*args, dir=None, **kwargs):  # what a read-only folder does when written anyway
        if dir is not None and Path(dir) in refused:
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    before = snapshot(outputs)
    line = assert_one_line(capsys, main(argv))
    assert "writable" in line
    assert_nothing_lost(before, out)


# -- (b) a destination that is a folder ------------------------------------------------------------
@pytest.mark.parametrize("case", NAMES, indirect=True)
def test_a_destination_that_is_a_folder_is_refused(case, capsys):
    argv, outputs, out = case
    last = outputs[-1]
    last.unlink()
    last.mkdir()
    (last / "kept.txt").write_bytes(OLD)
    before = snapshot([p for p in outputs if p.is_file()] + [last / "kept.txt"])
    status = main(argv)
    if argv[0] in WRITES_INTO_A_FOLDER:
        assert status == 0 and len(list(last.iterdir())) == 2  # the result beside kept.txt
    else:
        assert "folder" in assert_one_line(capsys, status)
    assert_nothing_lost(before, out)


# -- (c) a full disk, (d) SIGTERM, half way through a write -----------------------------------------
def fail_writes(monkeypatch, at: int, fault: str) -> list[str]:
    """Make the ``at``-th file written (1-based; -1: every one) fail half way: its bytes are cut in
    half, then the disk is full or SIGTERM arrives. Every writer goes through ``atomic_write``;
    this wraps it wherever it was imported."""
    real = files.atomic_write
    written: list[str] = []

    def atomic_write(path, write):
        def half_then_fail(temp):
            write(temp)
            written.append(Path(path).name)
            if at in (len(written), -1):
                size = os.path.getsize(temp)
                os.truncate(temp, size // 2)
                if fault == "full disk":
                    raise OSError(errno.ENOSPC, "No space left on device", str(temp))
                os.kill(os.getpid(), signal.SIGTERM)

        return real(path, half_then_fail)

    for package in (e4s_core, app.cli):  # modules a command imports late must see the fault too
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    for module in list(sys.modules.values()):
        if getattr(module, "atomic_write", None) is real and module is not files:
            monkeypatch.setattr(module, "atomic_write", atomic_write)
    return written


FAULTS = {"full disk": 2, "SIGTERM": 143}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(
    ("case", "which"),
    [(name, "first") for name in NAMES] + [(name, "last") for name in SEVERAL_OUTPUTS],
    indirect=["case"],
)
def test_a_write_failing_half_way_loses_nothing(case, fault, which, capsys, monkeypatch):
    argv, outputs, out = case
    written = fail_writes(monkeypatch, 1 if which == "first" else len(outputs), fault)
    before = snapshot(outputs)
    line = assert_one_line(capsys, main(argv), FAULTS[fault])
    assert written, "the command wrote nothing through atomic_write"
    assert ("No space left" in line) if fault == "full disk" else line == "e4s-studio: terminated"
    progress = PROGRESS.get(argv[0])
    if which == "last" and progress:
        saved = next(p for p in before if p.name == progress)
        assert torch.load(before.pop(saved) and saved, weights_only=True)["step"] > 0  # whole, newer
    assert_nothing_lost(before, out)


# -- (d) a real SIGTERM from outside, in the middle of a long command ------------------------------
LONG = {
    # name -> (argv, the stdout line that shows it is working, the outputs in {out})
    "fit": (
        "fit {i}/crop.png {i}/labels.png -o {out}/f.png --save-model {out}/f.pt"
        " --vectors-steps 1000000 --finetune-steps 1 " + MODEL,
        "vectors step",
        "f.png f.pt",
    ),
    "train": (
        "train {out}/run --steps 1000000 --config {i}/config.json --batch-size 1 --workers 0 --device cpu"
        " --weights identity=0,parsing=0,adversarial=0,perceptual=0 --export {out}/t.pt",
        "resumed",
        "run/latest.pt t.pt",
    ),
}


@pytest.mark.parametrize("name", LONG)
def test_sigterm_from_outside_stops_a_long_command_cleanly(name, inputs, tmp_path):
    template, working, written = LONG[name]
    out = tmp_path / "out"
    out.mkdir()
    if name == "train":
        shutil.copytree(inputs / "run", out / "run")
    outputs = [out / p for p in written.split()]
    for path in outputs:
        if not path.exists():
            path.write_bytes(OLD)
    before = snapshot(outputs)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "E4S_DATA": str(tmp_path / "data")}
    command = [sys.executable, "-m", "app.cli", *template.format(i=inputs, out=out).split()]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )
    try:
        assert any(working in line for line in process.stdout), process.communicate(timeout=60)[1]
        time.sleep(0.5)  # well inside the work, not at its first line
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert err.strip() == "e4s-studio: terminated", err
    assert_nothing_lost(before, out)


def test_every_command_that_writes_files_is_in_the_suite():
    writes_nothing = {"info", "selftest"}  # `models` writes on install, use and remove: install is here
    covered = {name.split()[0] for name in COMMANDS}
    assert set(all_commands()) - writes_nothing - covered == set()
