"""The mask canvas: the coloured label map blended over the aligned photo, with the paint tools.

A thin view over the Qt-free ``LabelCanvas``: mouse gestures become model calls in label-map
coordinates, and the model's change boxes drive partial repaints of a persistent RGBA overlay.
Label pixel (col, row) covers the screen square that starts at ``offset + (col, row) * zoom``.
"""

import weakref

import numpy as np
from PySide6 import QtGui
from PySide6.QtCore import QElapsedTimer, QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from e4s_core.regions import LABEL_MAP_SIZE, PALETTE

from ..models.canvas import LabelCanvas
from ..models.edits import Box
from ..models.tools import TOOLS, tool_named
from ..models.viewport import Viewport
from .image_view import RgbImage

WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 eighths of a degree)
CRISP_ZOOM = 2.0  # from here on label pixels are visible squares: draw them nearest-neighbour
STROKE_PREVIEW_MS = 30  # live-preview rate cap; the render worker drops what it cannot absorb
BACKGROUND = QColor(38, 38, 40)


class MaskCanvasView(QWidget):
    """Paints ``LabelCanvas`` edits with the mouse; wheel zooms, middle-drag pans."""

    label_picked = Signal(int)  # eyedropper: the label under the cursor
    edited = Signal()  # a gesture was committed to the canvas history
    stroke_moved = Signal()  # a brush/eraser stroke changed the map (at most every ~30 ms)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)  # the brush outline follows the mouse with no button held
        self._canvas: LabelCanvas | None = None
        self._photo: QImage | None = None
        self._rgba: np.ndarray | None = None  # [S, S, 4] uint8, the memory behind _overlay
        self._overlay: QImage | None = None
        self._opacity, self._tool = 0.6, TOOLS[0].name
        self._show_tool_cursor()
        self.viewport = Viewport()  # the window shares one between the three panes
        self.viewport.changed.connect(self.update)
        self._drag: str | None = None  # "stroke", "rect" or "pan" while a button is held
        self._rect: tuple[float, float, float, float] = (0, 0, 0, 0)  # label x0, y0, x1, y1
        self._pan_from, self._mouse = QPointF(), None  # _mouse: last hover position, None outside
        self._preview_clock = QElapsedTimer()
        self._preview_timer = QTimer(self, singleShot=True)
        self._preview_timer.timeout.connect(self._emit_stroke_moved)
        # This Python object can outlive its Qt widget (a deleted parent): stop listening then.
        self._listening: list[LabelCanvas | None] = [None]
        listener = weakref.WeakMethod(self._canvas_changed)
        self.destroyed.connect(lambda *_, listening=self._listening: _stop_listening(listening, listener))

    # -- model and content -------------------------------------------------------------------
    def set_canvas(self, canvas: LabelCanvas | None) -> None:
        if canvas is self._canvas:
            return
        self._finish_drag()
        if self._canvas is not None:
            self._canvas.changed.disconnect(self._canvas_changed)
        self._canvas = self._listening[0] = canvas
        if canvas is not None:
            canvas.changed.connect(self._canvas_changed)  # held weakly: a collected view stops listening
        self._rebuild_overlay()
        self.update()

    def set_photo(self, rgb: np.ndarray | None) -> None:
        """The aligned face, uint8 [H, W, 3] of any size; it is stretched over the label map."""
        self._photo = None if rgb is None else RgbImage(rgb)
        self.update()

    @property
    def overlay_opacity(self) -> float:
        return self._opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        self._opacity = min(1.0, max(0.0, float(opacity)))
        self.update()

    def overlay_image(self) -> QImage | None:
        """The RGBA label colours at label-map resolution, as drawn (for tests and export)."""
        return self._overlay

    def _rebuild_overlay(self) -> None:
        if self._canvas is None:
            self._rgba = self._overlay = None
            return
        size = self._canvas.size
        self._rgba = np.full((size, size, 4), 255, np.uint8)
        # The QImage reads self._rgba in place, so box updates need no conversion or copy.
        self._overlay = QImage(self._rgba.data, size, size, 4 * size, QImage.Format.Format_RGBA8888)
        self._canvas_changed(None)

    def _canvas_changed(self, box: Box | None) -> None:
        if self._rgba is None or self._canvas is None:
            return
        top, left, bottom, right = box = box or (0, 0, self._canvas.size, self._canvas.size)
        self._rgba[top:bottom, left:right, :3] = PALETTE[self._canvas.labels[top:bottom, left:right]]
        self._dirty(self._screen_rect(box))

    # -- tools -------------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        tool_named(name)  # raises for an unknown name
        self._finish_drag()
        self._tool = name
        self._show_tool_cursor()
        self.update()

    def _show_tool_cursor(self) -> None:
        self.setCursor(getattr(Qt.CursorShape, tool_named(self._tool).cursor))

    def set_brush_radius(self, radius: float) -> None:
        before = self._cursor_rect()
        if self._canvas is not None:
            self._canvas.brush_radius = max(0, int(round(radius)))
        self._dirty(before.united(self._cursor_rect()))

    # -- view transform (the shared Viewport, in this widget's size) -----------------------------
    def set_viewport(self, viewport: Viewport) -> None:
        """Share zoom and pan with other panes."""
        self.viewport.changed.disconnect(self.update)
        self.viewport = viewport
        viewport.changed.connect(self.update)
        self.update()

    @property
    def zoom(self) -> float:
        """Screen pixels per label pixel."""
        side = self._canvas.size if self._canvas is not None else LABEL_MAP_SIZE
        return self.viewport.image_rect(self.width(), self.height())[2] / side

    @property
    def _zoom(self) -> float:
        return max(1e-6, self.zoom)

    @property
    def _offset(self) -> QPointF:
        left, top, _, _ = self.viewport.image_rect(self.width(), self.height())
        return QPointF(left, top)

    def _fit_units(self, vector: QPointF) -> tuple[float, float]:
        side = max(1, min(self.width(), self.height()))
        return vector.x() / side, vector.y() / side

    def label_at(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> label-map (x, y); integer values are pixel centres."""
        label = (pos - self._offset) / self._zoom
        return label.x() - 0.5, label.y() - 0.5

    def _screen_rect(self, box: Box) -> QRectF:
        top, left, bottom, right = box
        zoom, offset = self._zoom, self._offset
        return QRectF(offset + QPointF(left, top) * zoom, offset + QPointF(right, bottom) * zoom)

    def fit(self) -> None:
        """Fit the whole map in the widget, centred (and every pane sharing the viewport)."""
        self.viewport.fit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the label point under ``anchor`` (default: the widget centre) in place."""
        centre = QPointF(self.width() / 2, self.height() / 2)
        self.viewport.zoom_at(factor, self._fit_units((anchor if anchor is not None else centre) - centre))

    # -- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        event.accept()
        canvas, pos, button = self._canvas, event.position(), event.button()
        if self._drag is not None:
            return  # one gesture at a time; a second button mid-stroke is ignored
        if button == Qt.MouseButton.MiddleButton:
            self._drag, self._pan_from = "pan", pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        if button != Qt.MouseButton.LeftButton or canvas is None:
            return
        x, y = self.label_at(pos)
        if tool_named(self._tool).strokes:
            canvas.begin_stroke(x, y, erase=self._tool == "eraser")
            self._drag = "stroke"
            self._preview_clock.start()
            self.stroke_moved.emit()  # the first dab already shows in a preview
        elif self._tool == "fill":
            if canvas.fill(x, y) is not None:
                self.edited.emit()
        elif self._tool == "rectangle":
            self._drag, self._rect = "rect", (x, y, x, y)
            self.update()
        elif self._tool == "eyedropper" and min(x, y) >= -0.5 and max(x, y) < canvas.size - 0.5:
            self.label_picked.emit(canvas.pick(x, y))

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        pos = event.position()
        self._move_cursor(pos)
        if self._drag == "pan":
            self.viewport.pan_by(*self._fit_units(pos - self._pan_from))
            self._pan_from = pos
        elif self._drag == "stroke" and self._canvas is not None:
            self._canvas.stroke_to(*self.label_at(pos))
            self._throttled_stroke_moved()
        elif self._drag == "rect":
            before = self._rubber_band()
            self._rect = (*self._rect[:2], *self.label_at(pos))
            self._dirty(before.united(self._rubber_band()))
        event.accept()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        # Only the button that started the gesture ends it (a middle click mid-stroke does not).
        pan_button = event.button() == Qt.MouseButton.MiddleButton
        if self._drag is not None and (self._drag == "pan") == pan_button:
            self._finish_drag()
        event.accept()

    def _finish_drag(self) -> None:
        """Commit the gesture in progress (release, tool switch, canvas switch)."""
        drag, self._drag = self._drag, None
        self._preview_timer.stop()
        if drag == "pan":
            self._show_tool_cursor()
        elif drag == "stroke" and self._canvas is not None:
            if self._canvas.end_stroke() is not None:
                self.edited.emit()
        elif drag == "rect" and self._canvas is not None:
            self.update()
            if self._canvas.rectangle(*self._rect) is not None:
                self.edited.emit()

    def _throttled_stroke_moved(self) -> None:
        # One pending emit at a time; it fires when the last one is ~30 ms old and carries every
        # change made meanwhile, so the final position of a fast drag is never dropped.
        if not self._preview_timer.isActive():
            self._preview_timer.start(max(0, STROKE_PREVIEW_MS - self._preview_clock.elapsed()))

    def _emit_stroke_moved(self) -> None:
        if self._drag == "stroke":  # the timer may outlive a stroke ended by a tool switch
            self._preview_clock.restart()
            self.stroke_moved.emit()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 (Qt override)
        notches = event.angleDelta().y() / 120  # fractional on touchpads
        if notches:
            self.zoom_by(WHEEL_STEP**notches, event.position())
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        self._move_cursor(None)
        super().leaveEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(LABEL_MAP_SIZE, LABEL_MAP_SIZE)

    # -- painting ----------------------------------------------------------------------------
    def _move_cursor(self, pos: QPointF | None) -> None:
        before = self._cursor_rect()
        self._mouse = pos
        self._dirty(before.united(self._cursor_rect()))

    def _dirty(self, rect: QRectF) -> None:
        self.update(rect.toAlignedRect().adjusted(-3, -3, 3, 3))  # + the outline's 3 px pen

    def _cursor_rect(self) -> QRectF:
        """Screen circle of the brush footprint around the label pixel under the mouse."""
        if self._mouse is None or self._canvas is None or not tool_named(self._tool).strokes:
            return QRectF()
        col, row = (round(v) for v in self.label_at(self._mouse))
        radius = (self._canvas.brush_radius + 0.5) * self._zoom  # the model paints whole pixels
        centre = self._offset + QPointF(col + 0.5, row + 0.5) * self._zoom
        return QRectF(centre - QPointF(radius, radius), centre + QPointF(radius, radius))

    def _rubber_band(self) -> QRectF:
        if self._drag != "rect" or self._canvas is None:
            return QRectF()
        x0, y0, x1, y1 = (round(v) for v in self._rect)
        band = self._screen_rect((min(y0, y1), min(x0, x1), max(y0, y1) + 1, max(x0, x1) + 1))
        # show what the model will fill: the box clipped to the map
        return band.intersected(self._screen_rect((0, 0, self._canvas.size, self._canvas.size)))

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(event.rect(), BACKGROUND)
        size = self._canvas.size if self._canvas is not None else LABEL_MAP_SIZE
        target = QRectF(self._offset.x(), self._offset.y(), size * self._zoom, size * self._zoom)
        if self._photo is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, self._photo, QRectF(self._photo.rect()))
        if self._overlay is not None and (self._opacity > 0 or self._photo is None):
            painter.setOpacity(self._opacity if self._photo is not None else 1.0)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < CRISP_ZOOM)
            painter.drawImage(target, self._overlay, QRectF(self._overlay.rect()))
            painter.setOpacity(1.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        band, circle = self._rubber_band(), self._cursor_rect()
        # A dark pen under a light dashed one stays visible over any photo or label colour.
        for pen in (QPen(QColor(0, 0, 0, 170), 3), QPen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine)):
            painter.setPen(pen)
            if not band.isEmpty():
                painter.drawRect(band)
            if not circle.isEmpty():
                painter.drawEllipse(circle)


def _stop_listening(listening: list[LabelCanvas | None], listener: weakref.WeakMethod) -> None:
    canvas, method = listening[0], listener()
    if canvas is not None and method is not None:
        canvas.changed.disconnect(method)
