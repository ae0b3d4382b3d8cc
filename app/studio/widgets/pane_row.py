"""The input | mask | result panes, laid out as squares with no letterbox, or one pane large.

Every face image is square, so every pane is made square and as large as the space allows: three
in a row when the space is wide, else the result large with input and mask stacked beside it,
whichever shows more image area. ``show_only(i)`` gives one pane the whole space (Tab cycles).
"""

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

GAP = 4  # px between panes
MIN_PANE = 120  # px: below this a face is too small to paint on


def arrangements(width: int, height: int, count: int = 3) -> list[list[QRect]]:
    """Candidate square layouts of ``count`` panes (the last is the result) in width x height."""
    row_side = max(0, min((width - (count - 1) * GAP) // count, height))
    row = [QRect(i * (row_side + GAP), 0, row_side, row_side) for i in range(count)]
    # Result large on the right, the others stacked in a column on its left.
    big = max(0, min(height, (width - GAP) * (count - 1) // count))
    small = max(0, (big - (count - 2) * GAP) // (count - 1))
    column = [QRect(0, i * (small + GAP), small, small) for i in range(count - 1)]
    stacked = column + [QRect(small + GAP, 0, big, big)]
    return [row, stacked]


def best_arrangement(width: int, height: int, count: int = 3) -> list[QRect]:
    """The candidate showing the most image area, centred in the space."""
    candidates = arrangements(width, height, count)
    best = max(candidates, key=lambda rects: sum(r.width() * r.height() for r in rects))
    used = QRect()
    for rect in best:
        used = used.united(rect)
    dx, dy = (width - used.width()) // 2, (height - used.height()) // 2
    return [rect.translated(dx, dy) for rect in best]


class PaneRow(QWidget):
    def __init__(self, panes: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panes = panes
        self._only: int | None = None
        for pane in panes:
            pane.setParent(self)

    @property
    def shown_alone(self) -> int | None:
        """The index of the pane shown large, or None when all are shown."""
        return self._only

    def show_only(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.panes):
            raise ValueError(f"pane index must be 0..{len(self.panes) - 1} or None, got {index}")
        self._only = index
        self._arrange()

    def cycle(self, step: int = 1) -> None:
        """All -> first -> ... -> last -> all (step -1 goes the other way)."""
        states = [None, *range(len(self.panes))]
        self.show_only(states[(states.index(self._only) + step) % len(states)])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._arrange()
        super().resizeEvent(event)

    def _arrange(self) -> None:
        width, height = self.width(), self.height()
        if self._only is None:
            rects = best_arrangement(width, height, len(self.panes))
        else:
            side = min(width, height)
            alone = QRect((width - side) // 2, (height - side) // 2, side, side)
            rects = [alone if i == self._only else QRect() for i in range(len(self.panes))]
        for pane, rect in zip(self.panes, rects, strict=True):
            pane.setVisible(not rect.isEmpty())
            pane.setGeometry(rect)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(3 * 400 + 2 * GAP, 400)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(2 * MIN_PANE + GAP, 2 * MIN_PANE + GAP)  # the stacked layout's smallest
