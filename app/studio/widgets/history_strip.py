"""The history strip: every step of the edit history in a row, click one to go back to it.

Item ``i`` is history position ``i``: item 0 is the "Original" face, item ``k`` the result after
edit ``k - 1``. The current position is highlighted and undone steps are greyed; clicking an
item emits ``step_clicked(position)`` for the window to pass to ``History.go_to``. Thumbnails are
addressed by edit index like ``History.edits`` (-1 = the original).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget

from ..models.history import History
from .gallery import rgb_icon

ORIGINAL_LABEL = "Original"
THUMBNAIL_SIZE = 48  # px; small enough that the strip stays one row under the canvas
_LABEL_CHARS = 18  # item width in average characters; longer labels are elided, full text in tooltip


class HistoryStrip(QWidget):
    """A horizontal, scrollable row of history steps (a thin view over ``History``)."""

    step_clicked = Signal(int)  # the history position to go to (0 = original)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._position = 0
        # position -> (edit at that position when the thumbnail was set, icon). Keeping the
        # edit lets refresh() drop thumbnails of steps that a new edit replaced.
        self._thumbnails: dict[int, tuple[object | None, QIcon]] = {}
        self._edits: list[object] = []
        blank = QPixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        blank.fill(Qt.GlobalColor.transparent)
        self._blank = QIcon(blank)
        self._list = QListWidget()
        self._list.setViewMode(QListView.ViewMode.IconMode)
        self._list.setFlow(QListView.Flow.LeftToRight)
        self._list.setWrapping(False)
        self._list.setMovement(QListView.Movement.Static)
        self._list.setResizeMode(QListView.ResizeMode.Adjust)
        self._list.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self._list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self._list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setHorizontalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        metrics = self.fontMetrics()
        grid = QSize(metrics.averageCharWidth() * _LABEL_CHARS, THUMBNAIL_SIZE + 2 * metrics.lineSpacing())
        self._list.setGridSize(grid)
        scrollbar = self._list.horizontalScrollBar().sizeHint().height()
        self._list.setMaximumHeight(grid.height() + scrollbar + 2 * self._list.frameWidth() + 4)
        self._list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self._list.itemClicked.connect(self._on_item_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._list)
        self._rebuild()

    @property
    def list_widget(self) -> QListWidget:
        return self._list

    @property
    def position(self) -> int:
        return self._position

    def refresh(self, history: History) -> None:
        """Rebuild from ``history`` (connect it as a history listener)."""
        self._edits = list(history.edits)
        self._position = history.position
        self._thumbnails = {
            position: (edit, icon)
            for position, (edit, icon) in self._thumbnails.items()
            if position <= len(self._edits) and self._edit_at(position) is edit
        }
        self._rebuild()

    def set_thumbnail(self, index: int, rgb: np.ndarray) -> None:
        """Show ``rgb`` (uint8 [H, W, 3]), the result after edit ``index``, on its step.

        ``index`` = ``history.position - 1``, so -1 is the "Original" item.
        """
        if not -1 <= index < len(self._edits):
            raise IndexError(f"edit index {index} out of range -1..{len(self._edits) - 1}")
        icon = rgb_icon(rgb)
        self._thumbnails[index + 1] = (self._edit_at(index + 1), icon)
        self._list.item(index + 1).setIcon(icon)

    def has_thumbnail(self, index: int) -> bool:
        """Whether the step after edit ``index`` (-1 = original) shows a thumbnail."""
        return index + 1 in self._thumbnails

    def _edit_at(self, position: int) -> object | None:
        return None if position == 0 else self._edits[position - 1]

    def _rebuild(self) -> None:
        self._list.clear()
        palette = self.palette()
        labels = [ORIGINAL_LABEL] + [str(getattr(c, "label", type(c).__name__)) for c in self._edits]
        for position, label in enumerate(labels):
            item = QListWidgetItem(label)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            # A blank icon keeps labels level until the window sets the step's thumbnail.
            item.setIcon(self._thumbnails[position][1] if position in self._thumbnails else self._blank)
            if position == self._position:
                item.setToolTip(f"{label}\n(current)")
                item.setBackground(QBrush(palette.color(QPalette.ColorRole.Highlight)))
                item.setForeground(QBrush(palette.color(QPalette.ColorRole.HighlightedText)))
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            elif position > self._position:
                item.setToolTip(f"{label}\n(undone: click to redo up to here)")
                disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
                item.setForeground(QBrush(disabled))
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            else:
                item.setToolTip(f"{label}\n(click to undo back to here)")
            self._list.addItem(item)
        current = self._list.item(self._position)
        if current is not None:
            self._list.scrollToItem(current)

    def is_undone(self, row: int) -> bool:
        return row > self._position

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self.step_clicked.emit(self._list.row(item))
