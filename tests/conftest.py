"""Shared fixtures: tiny RGI configurations with random weights (fast on any CPU)."""

import atexit
import os
import shutil
import tempfile

import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Installed models and the model in use live in the user data folder: never the tester's own.
os.environ["E4S_DATA"] = tempfile.mkdtemp(prefix="e4s-studio-test-data-")
atexit.register(shutil.rmtree, os.environ["E4S_DATA"], ignore_errors=True)
os.environ["E4S_CACHE"] = tempfile.mkdtemp(prefix="e4s-studio-test-cache-")  # e.g. video jobs' frames
atexit.register(shutil.rmtree, os.environ["E4S_CACHE"], ignore_errors=True)

from e4s_core import E4SModel, ModelInfo  # noqa: E402
from e4s_core.network import RGIConfig, RGINetwork  # noqa: E402


def tiny_config(**overrides) -> RGIConfig:
    """A 64 px network with the authors' structure at toy widths."""
    values = dict(
        out_size=64,
        style_dim=32,
        mapping_layers=2,
        generator_channels=(32, 32, 32, 16, 8),
        regional_layers=9,
        encoder_input_size=64,
        encoder_widths=(16, 16, 32, 32, 32),
        encoder_units=(1, 1, 2, 1),
    )
    values.update(overrides)
    return RGIConfig(**values)


def random_network(config: RGIConfig, seed: int = 0) -> RGINetwork:
    torch.manual_seed(seed)
    network = RGINetwork(config)
    network.latent_avg.normal_(0, 0.5)
    with torch.no_grad():
        for name, parameter in network.named_parameters():
            if name.endswith("noise.weight"):  # zero at init; a trained model uses its noise
                parameter.fill_(0.1)
    return network


def random_model(config: RGIConfig | None = None, seed: int = 0) -> E4SModel:
    return E4SModel(random_network(config or tiny_config(), seed), ModelInfo("random", "", "memory"))


@pytest.fixture
def tiny_model() -> E4SModel:
    return random_model()


# -- the studio window (offscreen) ------------------------------------------------------------------
@pytest.fixture
def window(qtbot, tmp_path):
    """The real main window with a tiny local random model; settings and autosave in tmp_path."""
    from PySide6.QtCore import QSettings
    from studio_helpers import local_random_model

    from app.studio.main_window import MainWindow
    from app.studio.safe_work import Unsaved
    from app.studio.settings import AUTOSAVE_PATH

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(AUTOSAVE_PATH, str(tmp_path / "autosave.e4s"))  # never the user's own
    win = MainWindow(local_random_model(), settings=settings)
    win.setProperty("quiet", True)  # errors go to the status bar and win.errors, no modal dialog
    qtbot.addWidget(win)
    # Nobody is there to answer the unsaved-changes box when qtbot closes the window after a test;
    # tests of the prompt put the real dialog back and drive it.
    win.work.ask = lambda _action: Unsaved.DISCARD
    win.resize(1400, 800)
    win.show()
    return win


@pytest.fixture
def opened(qtbot, window, tmp_path):
    """(window, photo path, reference path): the window with astronaut opened and rendered."""
    from studio_helpers import face_files, wait_idle

    photo, reference = face_files(tmp_path)
    window.open_photo(photo)
    qtbot.waitUntil(lambda: window.document is not None, timeout=30000)
    wait_idle(qtbot, window)
    return window, photo, reference
