"""Paint a reference's mask when its parse is wrong (a cap called hair, long hair missed).

The same canvas and tools as the main mask pane, over the reference's aligned face; OK hands the
painted label map back, Cancel leaves the reference as it was.
"""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
)

from ..models.canvas import LabelCanvas
from ..models.history import History
from ..models.tools import TOOLS
from .canvas_view import MaskCanvasView
from .region_bar import RegionBar
from .tool_panel import icon


class ReferenceMaskDialog(QDialog):
    def __init__(self, name: str, face: np.ndarray, labels: np.ndarray, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Paint the mask of {name}")
        self.history = History()
        self.canvas = LabelCanvas(labels.copy(), parsed=labels.copy(), history=self.history)
        self.view = MaskCanvasView()
        self.view.set_canvas(self.canvas)
        self.view.set_photo(face)
        self.view.set_overlay_opacity(0.5)
        self.view.setMinimumSize(384, 384)
        self.regions = RegionBar(texture_regions=False)
        self.regions.active_changed.connect(self._set_label)
        self.regions.set_active(int(np.bincount(labels.ravel()).argmax()))
        self._set_label(self.regions.active())
        self.view.label_picked.connect(self.regions.set_active)

        tools = QHBoxLayout()
        self._tools = QButtonGroup(self)
        for i, tool in enumerate(TOOLS):
            button = QPushButton(icon(*tool.icons), tool.label)
            button.setCheckable(True)
            button.setToolTip(f"{tool.label} ({tool.shortcut})")
            button.setShortcut(QKeySequence(tool.shortcut))
            self._tools.addButton(button, i)
            tools.addWidget(button)
        self._tools.button(0).setChecked(True)
        self._tools.idClicked.connect(lambda i: self.view.set_tool(TOOLS[i].name))
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(1, 100)
        self.size_slider.valueChanged.connect(self.view.set_brush_radius)
        self.size_slider.setValue(12)
        tools.addWidget(QLabel("Size"))
        tools.addWidget(self.size_slider)
        undo = QPushButton(icon("fa5s.undo"), "Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.clicked.connect(self.history.undo)
        redo = QPushButton(icon("fa5s.redo"), "Redo")
        redo.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        redo.clicked.connect(self.history.redo)
        tools.addWidget(undo)
        tools.addWidget(redo)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this mask")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.regions)
        layout.addWidget(buttons)
        self.resize(640, 820)

    def _set_label(self, label: int) -> None:
        self.canvas.active_label = label

    @property
    def labels(self) -> np.ndarray:
        """The painted label map (uint8 [512, 512])."""
        return self.canvas.labels.copy()
