"""The zoom and pan the three panes share (input, mask, result), Qt-free.

``zoom`` 1 shows the whole image fitted in its pane; ``centre`` is the image point (as fractions
of its width and height) at the pane's centre. Each pane turns this into its own screen geometry
from its own size, so panes of any size and images of any resolution (the 512 label map, the 1024
crop) stay aligned: the same face point sits at the same place in every pane.

Screen vectors come in *fit units*: pixels divided by the fitted image's width (x) and height (y)
in that pane.
"""

from .events import Event

Rect = tuple[float, float, float, float]  # left, top, width, height in pane pixels
ZOOM_RANGE = (0.5, 32.0)  # from half the fitted size to label pixels as big as a fingertip


class Viewport:
    def __init__(self) -> None:
        self.zoom = 1.0
        self.centre = (0.5, 0.5)
        self.changed = Event("viewport changed")

    @property
    def fitted(self) -> bool:
        return self.zoom == 1.0 and self.centre == (0.5, 0.5)

    def fit(self) -> None:
        self._set(1.0, (0.5, 0.5))

    def zoom_at(self, factor: float, anchor: tuple[float, float]) -> None:
        """Zoom by ``factor`` keeping the image point under ``anchor`` (fit units from the pane
        centre) where it is."""
        zoom = min(ZOOM_RANGE[1], max(ZOOM_RANGE[0], self.zoom * factor))
        ax, ay = anchor
        cx, cy = self.centre
        under = (cx + ax / self.zoom, cy + ay / self.zoom)
        self._set(zoom, (under[0] - ax / zoom, under[1] - ay / zoom))

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) fit units on screen (the image follows the mouse)."""
        cx, cy = self.centre
        self._set(self.zoom, (cx - dx / self.zoom, cy - dy / self.zoom))

    def image_rect(
        self, width: float, height: float, aspect: float = 1.0
    ) -> tuple[float, float, float, float]:
        """(left, top, image width, image height) in a ``width`` x ``height`` pane, for an image of
        ``aspect`` = its width / its height."""
        fitted_w, fitted_h = fitted_size(width, height, aspect)
        image_w, image_h = fitted_w * self.zoom, fitted_h * self.zoom
        return width / 2 - self.centre[0] * image_w, height / 2 - self.centre[1] * image_h, image_w, image_h

    def _set(self, zoom: float, centre: tuple[float, float]) -> None:
        if (zoom, centre) != (self.zoom, self.centre):
            self.zoom, self.centre = zoom, centre
            self.changed.emit()


def fitted_size(width: float, height: float, aspect: float = 1.0) -> tuple[float, float]:
    """The largest ``aspect`` (width / height) rectangle inside ``width`` x ``height``."""
    if width / max(height, 1e-9) > aspect:
        return height * aspect, height
    return width, width / aspect
