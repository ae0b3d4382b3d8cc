"""The frame slider under the panes while a video is open: pick the frame to preview."""

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

SETTLE_MS = 200  # a preview starts when the slider rests this long (each one costs a render)


class FrameScrubber(QWidget):
    frame_chosen = Signal(int)  # 0-based frame number, once the slider settles

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Preview the edit on any frame of the video")
        self.label = QLabel()
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(lambda: self.frame_chosen.emit(self.slider.value()))
        self.slider.valueChanged.connect(self._moved)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Frame"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.hide()

    def set_frames(self, count: int, current: int = 0) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(current)
        self.slider.blockSignals(False)
        self._show_label()

    def _moved(self) -> None:
        self._show_label()
        self._settle.start()

    def _show_label(self) -> None:
        self.label.setText(f"{self.slider.value()} / {self.slider.maximum()}")
