"""The tool panel: painting tools, brush size, mask opacity, undo/redo and the texture controls.

The tools come from the one tool table (``models/tools.py``); the main window binds their keys
(this panel only shows them in tooltips). Setters emit the matching signal only when the value changes,
like Qt's own setters, so the window can route shortcuts through them. Moving the Mix slider only
previews (``alpha_changed``); a texture edit is committed by Apply (or Enter) alone, so one decision is
one history step.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..models.tools import TOOL_NAMES, TOOLS

BRUSH_SIZES = (1, 100)  # px at label-map resolution


def icon(*names: str) -> QIcon:
    """The first qtawesome icon the installed fonts provide, else an empty icon (text still shows)."""
    for name in names:
        try:
            return qta.icon(name)
        except Exception:  # qtawesome raises plain Exception for unknown names and prefixes
            continue
    return QIcon()


def _shortcut_text(key: QKeySequence.StandardKey) -> str:
    sequences = QKeySequence.keyBindings(key)
    return sequences[0].toString(QKeySequence.SequenceFormat.NativeText) if sequences else ""


def _percent_slider(value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 100)
    slider.setPageStep(10)
    slider.setValue(value)
    return slider


class ToolPanel(QWidget):
    """Vertical panel of editing controls; a thin view that only emits what the user asked for."""

    tool_changed = Signal(str)
    brush_size_changed = Signal(int)
    opacity_changed = Signal(float)  # mask overlay opacity 0..1
    preserve_changed = Signal(bool)  # brush and fill leave other regions' pixels alone
    undo_requested = Signal()
    redo_requested = Signal()
    alpha_changed = Signal(float)  # texture mix 0..1 whenever the slider moves (live preview)
    apply_texture_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The sliders, checkbox and buttons are public attributes for the window and the tests.
        self._tools = QButtonGroup(self)
        self._tools.setExclusive(True)
        tools_box = QGroupBox("Tools")
        tools_grid = QGridLayout(tools_box)
        for i, tool in enumerate(TOOLS):
            button = QToolButton()
            button.setIcon(icon(*tool.icons))
            button.setText(tool.label)
            button.setToolTip(f"{tool.label} ({tool.shortcut})")
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._tools.addButton(button, i)
            tools_grid.addWidget(button, *divmod(i, 2))
        self._tools.button(0).setChecked(True)
        self._tools.idToggled.connect(self._on_tool_toggled)

        self.brush_slider = QSlider(Qt.Orientation.Horizontal)
        self.brush_slider.setRange(*BRUSH_SIZES)
        self.brush_slider.setValue(12)
        self.brush_slider.setToolTip("Brush, eraser and rectangle size in label-map pixels")
        self._brush_label = QLabel()
        self.brush_slider.valueChanged.connect(self._on_brush_size)
        self.opacity_slider = _percent_slider(50)
        self.opacity_slider.setToolTip("How strongly the region colours cover the face")
        self._opacity_label = QLabel()
        self.opacity_slider.valueChanged.connect(self._on_opacity)
        self.preserve_box = QCheckBox("Preserve other regions")
        self.preserve_box.setToolTip("Paint and fill change only pixels of the region under the cursor")
        self.preserve_box.toggled.connect(self.preserve_changed)
        mask_box = QGroupBox("Mask")
        mask_layout = QGridLayout(mask_box)
        mask_layout.addWidget(QLabel("Size"), 0, 0)
        mask_layout.addWidget(self.brush_slider, 0, 1)
        mask_layout.addWidget(self._brush_label, 0, 2)
        mask_layout.addWidget(QLabel("Opacity"), 1, 0)
        mask_layout.addWidget(self.opacity_slider, 1, 1)
        mask_layout.addWidget(self._opacity_label, 1, 2)
        mask_layout.addWidget(self.preserve_box, 2, 0, 1, 3)

        self.undo_button = self._history_button("Undo", "fa5s.undo", QKeySequence.StandardKey.Undo)
        self.undo_button.clicked.connect(self.undo_requested)
        self.redo_button = self._history_button("Redo", "fa5s.redo", QKeySequence.StandardKey.Redo)
        self.redo_button.clicked.connect(self.redo_requested)
        history_row = QHBoxLayout()
        history_row.addWidget(self.undo_button)
        history_row.addWidget(self.redo_button)
        self.set_undo_state(False, False)

        self.alpha_slider = _percent_slider(100)
        self.alpha_slider.setToolTip("0 % keeps the current texture, 100 % takes the reference's")
        self._alpha_label = QLabel()
        self.alpha_slider.valueChanged.connect(self._on_alpha)
        self.apply_button = QPushButton(icon("fa5s.magic"), "Apply texture")
        self.apply_button.setToolTip(
            "Make the previewed mix of the selected reference's texture one history step (Enter)"
        )
        self.apply_button.clicked.connect(self.apply_texture_requested)
        self._texture_box = QGroupBox("Texture")
        texture_layout = QGridLayout(self._texture_box)
        texture_layout.addWidget(QLabel("Mix"), 0, 0)
        texture_layout.addWidget(self.alpha_slider, 0, 1)
        texture_layout.addWidget(self._alpha_label, 0, 2)
        texture_layout.addWidget(self.apply_button, 1, 0, 1, 3)
        self.set_texture_enabled(False)
        self.set_apply_enabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(tools_box)
        layout.addWidget(mask_box)
        layout.addLayout(history_row)
        layout.addWidget(self._texture_box)
        layout.addStretch(1)
        self._update_labels()

    @staticmethod
    def _history_button(text: str, icon_name: str, key: QKeySequence.StandardKey) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        shortcut = _shortcut_text(key)
        button.setToolTip(f"{text} ({shortcut})" if shortcut else text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _update_labels(self) -> None:
        self._brush_label.setText(f"{self.brush_slider.value()} px")
        self._opacity_label.setText(f"{self.opacity_slider.value()} %")
        self._alpha_label.setText(f"{self.alpha_slider.value()} %")

    # -- tools ---------------------------------------------------------------------------
    def tool(self) -> str:
        return TOOLS[self._tools.checkedId()].name

    def set_tool(self, name: str) -> None:
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}; tools are {', '.join(TOOL_NAMES)}")
        self._tools.button(TOOL_NAMES.index(name)).setChecked(True)

    def tool_button(self, name: str) -> QAbstractButton:
        return self._tools.button(TOOL_NAMES.index(name))

    def _on_tool_toggled(self, index: int, checked: bool) -> None:
        if checked:
            self.tool_changed.emit(TOOLS[index].name)

    # -- mask ----------------------------------------------------------------------------
    def brush_size(self) -> int:
        return self.brush_slider.value()

    def set_brush_size(self, size: int) -> None:
        self.brush_slider.setValue(int(size))  # QSlider clamps to 1..100

    def _on_brush_size(self, size: int) -> None:
        self._update_labels()
        self.brush_size_changed.emit(size)

    def opacity(self) -> float:
        return self.opacity_slider.value() / 100

    def set_opacity(self, opacity: float) -> None:
        self.opacity_slider.setValue(round(opacity * 100))

    def _on_opacity(self, value: int) -> None:
        self._update_labels()
        self.opacity_changed.emit(value / 100)

    def preserve(self) -> bool:
        return self.preserve_box.isChecked()

    def set_preserve(self, preserve: bool) -> None:
        self.preserve_box.setChecked(preserve)

    # -- history -------------------------------------------------------------------------
    def set_undo_state(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_button.setEnabled(can_undo)
        self.redo_button.setEnabled(can_redo)

    # -- texture -------------------------------------------------------------------------
    def alpha(self) -> float:
        return self.alpha_slider.value() / 100

    def set_alpha(self, alpha: float) -> None:
        self.alpha_slider.setValue(round(alpha * 100))

    def _on_alpha(self, value: int) -> None:
        self._update_labels()
        self.alpha_changed.emit(value / 100)

    def set_texture_enabled(self, enabled: bool) -> None:
        """The Mix slider works once a reference is picked and regions are checked."""
        self._texture_box.setEnabled(enabled)

    def set_apply_enabled(self, enabled: bool) -> None:
        """Apply works only when it would change something."""
        self.apply_button.setEnabled(enabled)
