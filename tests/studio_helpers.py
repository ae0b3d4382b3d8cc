"""Fixtures for driving the studio window: a small local random model and real face files."""

import numpy as np
import torch
from conftest import random_network, tiny_config
from photos import astronaut, grace_hopper
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from e4s_core import E4SModel, ModelInfo
from e4s_core.photo.io import write_photo


def local_random_model(seed: int = 0) -> E4SModel:
    """A tiny random model whose region codes act locally, as a trained model's do.

    Random weights smear a code change everywhere: 3x3 kernels mix neighbours, and a
    code at 4-16 px moves whole blocks of the image. Shrinking the off-centre taps and
    making the coarse layers ignore their styles keeps a region's texture change near
    the region, so tests can check that the app changed the right region.
    """
    network = random_network(tiny_config(), seed)
    G = network.G
    coarse = {slot.name for slot in G.layer_slots() if slot.out_size <= 16}
    with torch.no_grad():
        for name, parameter in G.named_parameters():
            if name.endswith("conv.weight") and parameter.shape[-1] == 3:
                centre = parameter[..., 1, 1].clone()
                parameter.mul_(0.02)
                parameter[..., 1, 1] = centre
            if name.endswith("modulation.weight") and name.rsplit(".conv.", 1)[0] in coarse:
                parameter.zero_()
    return E4SModel(network, ModelInfo("local-random", "", "memory"))


def face_files(folder) -> tuple[str, str]:
    return str(write_photo(astronaut(), folder / "astronaut.png")), str(
        write_photo(grace_hopper(), folder / "hopper.png")
    )


def send_mouse(widget, kind: QEvent.Type, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(
        kind,
        QPointF(x, y),
        widget.mapToGlobal(QPointF(x, y)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def drag(widget, points: list[tuple[float, float]]) -> None:
    send_mouse(widget, QEvent.Type.MouseButtonPress, *points[0])
    for point in points[1:]:
        send_mouse(widget, QEvent.Type.MouseMove, *point)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, *points[-1])


def labels_of(window) -> np.ndarray:
    return window.document.canvas.labels.copy()


def wait_idle(qtbot, window, timeout: int = 30000) -> None:
    """Until the window has no task queued and no render running, owed or waiting."""
    qtbot.waitUntil(lambda: window.tasks.pending == 0 and not window.renders.pending, timeout=timeout)


def wheel(widget, x: float, y: float, notches: int) -> None:
    """Turn the mouse wheel by ``notches`` (positive: away from the user) over (x, y)."""
    pos = QPointF(x, y)
    event = QWheelEvent(
        pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(), QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)
