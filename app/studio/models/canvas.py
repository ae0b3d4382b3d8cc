"""The editable label map behind the mask canvas: tools, deltas and undo. No Qt here.

Coordinates are label-map pixels (x = column, y = row). Each finished gesture (a
whole brush stroke, a fill, a rectangle, an opened mask) is one ``ShapeEdit`` in the
history: the bounding box of what changed, which pixels changed, and their old and
new values — a few kilobytes, not a copy of the map.
"""

import cv2
import numpy as np

from e4s_core.regions import NUM_REGIONS, REGIONS, region_id, validate_labels

from .edits import Box, LabelDelta, ShapeEdit
from .events import Event
from .history import History


class LabelCanvas:
    def __init__(self, labels: np.ndarray, parsed: np.ndarray | None = None, history: History | None = None):
        validate_labels(labels)
        self._labels = labels.astype(np.uint8).copy()
        self.parsed = (labels if parsed is None else parsed).astype(np.uint8).copy()
        self.history = history if history is not None else History()
        self.brush_radius = 8
        self.active_label = region_id("skin")
        self.protect_others = False  # paint only over `paint_over` (background by default)
        self.paint_over = region_id("background")
        self.changed = Event("labels changed")  # emits the changed box (None = everything)
        self._stroke: tuple[np.ndarray, list[int], tuple[float, float], bool] | None = None

    # -- state -------------------------------------------------------------------------------
    @property
    def labels(self) -> np.ndarray:
        view = self._labels.view()
        view.flags.writeable = False
        return view

    @property
    def size(self) -> int:
        return self._labels.shape[0]

    def apply_delta(self, delta: LabelDelta, reverse: bool = False) -> None:
        top, left, bottom, right = delta.box
        self._labels[top:bottom, left:right][delta.changed] = delta.old if reverse else delta.new
        self.changed.emit(delta.box)

    def _commit(self, before: np.ndarray, box: Box, label: str) -> LabelDelta | None:
        delta = LabelDelta.between(before, self._labels, box)
        if delta is not None:
            self.history.push(ShapeEdit(self, delta, label))
        return delta

    def _allowed(self, region: np.ndarray, erase: bool) -> np.ndarray:
        if not self.protect_others:
            return np.ones(region.shape, bool)
        if erase:
            return region == self.active_label
        return (region == self.paint_over) | (region == self.active_label)

    # -- brush and eraser: begin, move, end = one undo step ----------------------------------
    def begin_stroke(self, x: float, y: float, erase: bool = False) -> None:
        self._stroke = (self._labels.copy(), [self.size, self.size, 0, 0], (x, y), erase)
        self.stroke_to(x, y)

    def stroke_to(self, x: float, y: float) -> None:
        if self._stroke is None:
            return
        before, union, last, erase = self._stroke
        radius = max(0, int(round(self.brush_radius)))
        x0, y0, x1, y1 = (int(round(v)) for v in (*last, x, y))
        top, left = max(0, min(y0, y1) - radius), max(0, min(x0, x1) - radius)
        bottom, right = min(self.size, max(y0, y1) + radius + 1), min(self.size, max(x0, x1) + radius + 1)
        self._stroke = (before, union, (x, y), erase)
        if top >= bottom or left >= right:
            return
        # Exact distance to the segment: OpenCV's thick lines overshoot by up to ~2 px.
        rows, cols = np.mgrid[top:bottom, left:right]
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = np.clip(((cols - x0) * dx + (rows - y0) * dy) / length2, 0, 1) if length2 else 0
        footprint = (cols - x0 - t * dx) ** 2 + (rows - y0 - t * dy) ** 2 <= (radius + 0.5) ** 2
        region = self._labels[top:bottom, left:right]
        paint = footprint & self._allowed(region, erase)
        if erase:
            region[paint] = self.parsed[top:bottom, left:right][paint]
        else:
            region[paint] = self.active_label
        union[:] = [min(union[0], top), min(union[1], left), max(union[2], bottom), max(union[3], right)]
        self.changed.emit((top, left, bottom, right))

    def end_stroke(self) -> LabelDelta | None:
        if self._stroke is None:
            return None
        before, union, _, erase = self._stroke
        self._stroke = None
        if union[0] >= union[2]:
            return None
        return self._commit(before, tuple(union), "Eraser" if erase else f"Brush: {self._name()}")

    # -- one-shot tools ----------------------------------------------------------------------
    def fill(self, x: float, y: float) -> LabelDelta | None:
        """Bucket fill: the contiguous (4-connected) area of the clicked label."""
        col, row = int(round(x)), int(round(y))
        if not (0 <= row < self.size and 0 <= col < self.size):
            return None
        target = int(self._labels[row, col])
        if target == self.active_label or not self._allowed(np.array([target]), False)[0]:
            return None
        before = self._labels.copy()
        mask = np.zeros((self.size + 2, self.size + 2), np.uint8)
        cv2.floodFill(self._labels, mask, (col, row), int(self.active_label), 0, 0, 4)
        self.changed.emit(None)
        return self._commit(before, (0, 0, self.size, self.size), f"Fill: {self._name()}")

    def rectangle(self, x0: float, y0: float, x1: float, y1: float) -> LabelDelta | None:
        left, right = sorted((int(round(x0)), int(round(x1))))
        top, bottom = sorted((int(round(y0)), int(round(y1))))
        top, left = max(0, top), max(0, left)
        bottom, right = min(self.size, bottom + 1), min(self.size, right + 1)
        if top >= bottom or left >= right:
            return None
        before = self._labels.copy()
        region = self._labels[top:bottom, left:right]
        region[self._allowed(region, False)] = self.active_label
        self.changed.emit((top, left, bottom, right))
        return self._commit(before, (top, left, bottom, right), f"Rectangle: {self._name()}")

    def pick(self, x: float, y: float) -> int:
        """Eyedropper: the label under the cursor becomes the active label."""
        col = min(max(int(round(x)), 0), self.size - 1)
        row = min(max(int(round(y)), 0), self.size - 1)
        self.active_label = int(self._labels[row, col])
        return self.active_label

    def replace(self, labels: np.ndarray, label: str = "Open mask") -> LabelDelta | None:
        """A whole new map (an opened mask file) as one undoable step."""
        validate_labels(labels)
        if labels.shape != self._labels.shape:
            labels = cv2.resize(
                labels.astype(np.uint8), (self.size, self.size), interpolation=cv2.INTER_NEAREST
            )
        before = self._labels.copy()
        self._labels[:] = labels
        self.changed.emit(None)
        return self._commit(before, (0, 0, self.size, self.size), label)

    def _name(self) -> str:
        return REGIONS[self.active_label].label if 0 <= self.active_label < NUM_REGIONS else "?"
