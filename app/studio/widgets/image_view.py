"""A read-only image pane (input photo, result) with a before/after compare and a busy veil.

Zoom (wheel) and pan (drag; middle-drag while comparing) go through a ``Viewport`` that the window
shares with the other panes, so all three always show the same part of the face.
"""

import numpy as np
from PySide6 import QtGui
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from e4s_core.regions import LABEL_MAP_SIZE

from ..models.viewport import Viewport, fitted_size

BACKGROUND = QColor(38, 38, 40)
SPLIT_RANGE = (0.01, 0.99)  # a divider at the very edge would hide one side and be hard to grab
DIVIDER_GRAB_PX = 6  # how close to the divider the resize cursor appears
WHEEL_STEP = 1.25  # zoom factor per wheel notch, as in the mask pane


class RgbImage(QImage):
    """A QImage over a uint8 [H, W, 3] array's memory; holds the array so the pixels stay alive."""

    def __init__(self, rgb: np.ndarray):
        array = np.ascontiguousarray(rgb)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f"expected a uint8 [H, W, 3] RGB image, got {array.dtype} {array.shape}")
        height, width = array.shape[:2]
        super().__init__(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
        self.array = array  # QImage does not own this memory: it lives exactly as long as we do


class ImageView(QWidget):
    """Shows an RGB image fitted and centred; compare shows ``other`` whole or left of a divider."""

    split_changed = Signal(float)  # the user dragged the compare divider

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: RgbImage | None = None
        self._other: RgbImage | None = None
        self._split: float | None = None
        self._busy, self._dragging = False, False
        self._pan_from: QPointF | None = None  # while a drag pans the image
        self.viewport = Viewport()
        self.viewport.changed.connect(self.update)
        self._placeholder = ""
        self._scaled: dict[str, tuple[QImage, QSize, QImage]] = {}  # role -> (source, size, scaled)
        self.setMouseTracking(True)  # the divider's resize cursor shows on hover

    # -- content -----------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None) -> None:
        self._image = None if rgb is None else RgbImage(rgb)
        self.update()

    def set_placeholder(self, text: str) -> None:
        """Shown while there is no image, e.g. "Open a photo (Ctrl+O)"."""
        self._placeholder = text
        self.update()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.update()

    def set_compare(self, other: np.ndarray | None, split: float | None = None) -> None:
        """``other`` replaces the image (split None) or fills the part left of ``split`` (0..1)."""
        if split is not None and not 0 < split < 1:
            raise ValueError(f"split must lie strictly between 0 and 1, got {split}")
        if other is None or self._other is None or self._other.array is not other:
            self._other = None if other is None else RgbImage(other)  # same array: keep its cache
        self._split = split if other is not None else None
        self._dragging = self._dragging and self._split is not None
        self.update()

    @property
    def split(self) -> float | None:
        return self._split

    @property
    def busy(self) -> bool:
        return self._busy

    # -- geometry ----------------------------------------------------------------------------
    def set_viewport(self, viewport: Viewport) -> None:
        """Share zoom and pan with other panes."""
        self.viewport.changed.disconnect(self.update)
        self.viewport = viewport
        viewport.changed.connect(self.update)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn: the shared viewport in this pane's size; empty if none."""
        base = self._image if self._image is not None else self._other
        if base is None or base.isNull():
            return QRectF()
        aspect = base.width() / max(1, base.height())
        return QRectF(*self.viewport.image_rect(self.width(), self.height(), aspect))

    def _fit_units(self, vector: QPointF) -> tuple[float, float]:
        base = self._image if self._image is not None else self._other
        aspect = 1.0 if base is None or base.isNull() else base.width() / max(1, base.height())
        fitted_w, fitted_h = fitted_size(self.width(), self.height(), aspect)
        return vector.x() / max(fitted_w, 1), vector.y() / max(fitted_h, 1)

    def _divider_x(self, rect: QRectF) -> float | None:
        return None if self._split is None else rect.left() + self._split * rect.width()

    def _scaled_image(self, role: str, image: QImage, rect: QRectF) -> QImage:
        """``image`` resampled once per size: Qt's smooth scale averages when shrinking, which
        drawImage's bilinear filter does not (a 1024 face in a 400 px pane would alias)."""
        ratio = self.devicePixelRatioF()
        size = (rect.size() * ratio).toSize()
        cached = self._scaled.get(role)
        if cached is None or cached[0] is not image or cached[1] != size:
            scaled = image.scaled(
                size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            scaled.setDevicePixelRatio(ratio)
            cached = self._scaled[role] = (image, size, scaled)
        return cached[2]

    def _draw(self, painter: QPainter, role: str, image: QImage, rect: QRectF) -> None:
        if rect.width() * self.devicePixelRatioF() < image.width():  # shrinking: averaged, cached
            painter.drawImage(rect.topLeft(), self._scaled_image(role, image, rect))
        else:  # enlarging (zoomed in): bilinear, and Qt draws only the visible part
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(rect, image, QRectF(image.rect()))
            painter.restore()

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        rect = self.image_rect()
        if rect.isEmpty():
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder
            )
        divider = self._divider_x(rect)
        if divider is None:  # plain view, or hold-to-compare showing the other image whole
            role, shown = ("other", self._other) if self._other is not None else ("image", self._image)
            if shown is not None and not rect.isEmpty():
                self._draw(painter, role, shown, rect)
        elif not rect.isEmpty():
            for role, image, clip in (
                ("other", self._other, QRectF(rect.left(), rect.top(), divider - rect.left(), rect.height())),
                ("image", self._image, QRectF(divider, rect.top(), rect.right() - divider, rect.height())),
            ):
                if image is not None:
                    painter.save()
                    painter.setClipRect(clip)
                    self._draw(painter, role, image, rect)
                    painter.restore()
            self._paint_divider(painter, rect, divider)
        if self._busy:
            self._paint_busy(painter, rect if not rect.isEmpty() else QRectF(self.rect()))

    def _paint_divider(self, painter: QPainter, rect: QRectF, x: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        painter.setBrush(QColor(255, 255, 255, 220))  # a round grip says "drag me"
        painter.drawEllipse(QPointF(x, rect.center().y()), 7, 7)

    def _paint_busy(self, painter: QPainter, rect: QRectF) -> None:
        # Translucent, not opaque: the last result stays readable while the next one renders.
        painter.fillRect(rect, QColor(0, 0, 0, 90))
        painter.setPen(QColor(255, 255, 255, 230))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Rendering…")

    # -- zoom, pan and the divider drag ------------------------------------------------------
    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 (Qt override)
        notches = event.angleDelta().y() / 120  # fractional on touchpads
        if notches:
            centre = QPointF(self.width() / 2, self.height() / 2)
            self.viewport.zoom_at(WHEEL_STEP**notches, self._fit_units(event.position() - centre))
        event.accept()

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self.viewport.fit()  # a double click shows the whole face again
        event.accept()

    def _split_at(self, x: float) -> None:
        rect = self.image_rect()
        if rect.width() <= 0:
            return
        split = min(SPLIT_RANGE[1], max(SPLIT_RANGE[0], (x - rect.left()) / rect.width()))
        if split != self._split:
            self._split = split
            self.split_changed.emit(split)
            self.update()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        # While comparing, a left press anywhere moves the divider there (quicker than hunting for
        # it) and the middle button pans; otherwise any drag pans.
        if self._split is not None and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._split_at(event.position().x())
        elif event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        x = event.position().x()
        if self._pan_from is not None:
            self.viewport.pan_by(*self._fit_units(event.position() - self._pan_from))
            self._pan_from = event.position()
            event.accept()
            return
        if self._dragging:
            self._split_at(x)
        divider = self._divider_x(self.image_rect())
        near = divider is not None and (self._dragging or abs(x - divider) <= DIVIDER_GRAB_PX)
        self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
        event.accept()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
        if self._pan_from is not None:
            self._pan_from = None
            self.setCursor(Qt.CursorShape.ArrowCursor)
        event.accept()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(LABEL_MAP_SIZE, LABEL_MAP_SIZE)  # the mask pane's natural size
