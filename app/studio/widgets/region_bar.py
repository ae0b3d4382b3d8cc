"""The region bar: which label the brush paints, and which regions a texture edit touches.

Every button and checkbox is generated from ``e4s_core.regions.REGIONS`` (id, label, colour,
shortcut), so the palette can never disagree with the engine. Keyboard shortcuts belong to the
main window; this widget only shows them in button text and tooltips.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from e4s_core.regions import NUM_REGIONS, REGIONS, Region

COLUMNS = 4  # 12 regions -> three rows of four: fits under the panes of a 1024 px wide window


MIN_CONTRAST = 4.5  # WCAG AA for normal text
SELECTED_MARK = "✓ "  # the selected paint region says so in words, not only with its border


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0 black .. 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, 1 (none) .. 21 (black on white)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with ``rgb``; one of them always reaches 4.58:1."""
    return max(((0, 0, 0), (255, 255, 255)), key=lambda text: contrast_ratio(text, rgb))


def region_tooltip(region: Region) -> str:
    return f"{region.label} ({region.shortcut})"


def _swatch(rgb: tuple[int, int, int], size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class _AllCheckBox(QCheckBox):
    """Tri-state only for display: a click goes to "all" unless everything is already checked."""

    def nextCheckState(self) -> None:  # noqa: N802 (Qt override)
        checked = self.checkState() == Qt.CheckState.Checked
        self.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)


class RegionBar(QWidget):
    """12 colour buttons (the paint label) and 12 checkboxes + "All" (texture edit regions).

    Setters emit the matching signal only when the value changes, like Qt's own setters.
    """

    active_changed = Signal(int)  # region id now painted by the brush
    checked_changed = Signal(tuple)  # tuple[int, ...] of region ids, ascending

    def __init__(self, parent: QWidget | None = None, texture_regions: bool = True) -> None:
        """``texture_regions=False``: the paint buttons only (e.g. to paint a reference's mask)."""
        super().__init__(parent)
        self._buttons = QButtonGroup(self)
        self._buttons.setExclusive(True)
        paint_box = QGroupBox("Paint region")
        paint_grid = QGridLayout(paint_box)
        paint_grid.setSpacing(3)
        for region in REGIONS:
            button = QPushButton(region.label)
            button.setCheckable(True)
            button.setToolTip(region_tooltip(region))
            button.setStyleSheet(self._button_style(region.color))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
            button.setMinimumHeight(button.sizeHint().height())  # never squeezed until the text clips
            self._buttons.addButton(button, region.id)
            paint_grid.addWidget(button, *divmod(region.id, COLUMNS))
        self._buttons.idToggled.connect(self._on_button_toggled)

        texture_box = QGroupBox("Texture regions")
        texture_box.setToolTip("Regions that a texture swap or interpolation changes")
        check_grid = QGridLayout(texture_box)
        check_grid.setSpacing(3)
        self._all = _AllCheckBox("All")
        self._all.setTristate(True)
        self._all.clicked.connect(self._on_all_clicked)
        check_grid.addWidget(self._all, 0, 0)
        self._checks: list[QCheckBox] = []
        for region in REGIONS:
            box = QCheckBox(region.label)
            box.setIcon(_swatch(region.color))
            box.setToolTip(f"Texture edits change {region.label}")
            box.toggled.connect(self._on_check_toggled)
            self._checks.append(box)
            row, column = divmod(region.id, COLUMNS)
            check_grid.addWidget(box, row, column + 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(paint_box)
        layout.addWidget(texture_box)
        texture_box.setVisible(texture_regions)
        self._buttons.button(0).setChecked(True)
        self._update_all_state()

    @staticmethod
    def _button_style(rgb: tuple[int, int, int]) -> str:
        fg = "rgb({}, {}, {})".format(*text_color(rgb))
        bg = "rgb({}, {}, {})".format(*rgb)
        # The checked button gets a thick border in the text colour, readable on every region colour.
        return (
            f"QPushButton {{ background-color: {bg}; color: {fg}; border: 1px solid palette(mid);"
            f" border-radius: 3px; padding: 4px 6px; }}"
            f"QPushButton:checked {{ border: 3px solid {fg}; font-weight: bold; }}"
        )

    # -- paint label -------------------------------------------------------------------------
    def active(self) -> int:
        return self._buttons.checkedId()

    def set_active(self, region_id: int) -> None:
        button = self._buttons.button(region_id)
        if button is None:
            raise ValueError(f"region id must be 0..{NUM_REGIONS - 1}, got {region_id}")
        button.setChecked(True)

    def button(self, region_id: int) -> QPushButton:
        return self._buttons.button(region_id)

    def _on_button_toggled(self, region_id: int, checked: bool) -> None:
        label = REGIONS[region_id].label
        self._buttons.button(region_id).setText(SELECTED_MARK + label if checked else label)
        if checked:
            self.active_changed.emit(region_id)

    # -- texture regions ---------------------------------------------------------------------
    def checked_regions(self) -> tuple[int, ...]:
        return tuple(i for i, box in enumerate(self._checks) if box.isChecked())

    def set_checked(self, region_ids: Iterable[int]) -> None:
        wanted = set(region_ids)
        if not wanted <= set(range(NUM_REGIONS)):
            raise ValueError(f"region ids must be 0..{NUM_REGIONS - 1}, got {sorted(wanted)}")
        before = self.checked_regions()
        for i, box in enumerate(self._checks):
            box.blockSignals(True)
            box.setChecked(i in wanted)
            box.blockSignals(False)
        self._update_all_state()
        if self.checked_regions() != before:
            self.checked_changed.emit(self.checked_regions())

    def check_box(self, region_id: int) -> QCheckBox:
        return self._checks[region_id]

    @property
    def all_box(self) -> QCheckBox:
        return self._all

    def _on_all_clicked(self) -> None:
        everything = self._all.checkState() == Qt.CheckState.Checked
        self.set_checked(range(NUM_REGIONS) if everything else ())

    def _on_check_toggled(self) -> None:
        self._update_all_state()
        self.checked_changed.emit(self.checked_regions())

    def _update_all_state(self) -> None:
        count = len(self.checked_regions())
        if count == NUM_REGIONS:
            state = Qt.CheckState.Checked
        elif count == 0:
            state = Qt.CheckState.Unchecked
        else:
            state = Qt.CheckState.PartiallyChecked
        self._all.setCheckState(state)
