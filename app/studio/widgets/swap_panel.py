"""The Swap panel: the selected reference's face onto the open face, and its hair.

A thin view: it shows the source's name and emits what the user asked; ``swap_action.py`` plans,
previews and commits. The amount slider previews live (λ: 0 the full swap, 1 the face's own
textures); Swap commits one history step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider


class SwapPanel(QGroupBox):
    amount_changed = Signal(float)  # λ while the slider moves
    face_first_changed = Signal(bool)
    swap_requested = Signal()
    hair_requested = Signal(bool)  # True: the hair's outline too

    def __init__(self, parent=None) -> None:
        super().__init__("Face swap and hair", parent)
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.amount_slider = QSlider(Qt.Orientation.Horizontal)
        self.amount_slider.setRange(0, 100)
        self.amount_slider.setToolTip("0 %: the source's face in full; 100 %: the face's own textures")
        self._amount_label = QLabel()
        self.amount_slider.valueChanged.connect(self._on_amount)
        self.face_first_box = QCheckBox("Hair over the face (bangs)")
        self.face_first_box.setToolTip("The target's hair stays in front of the swapped face")
        self.face_first_box.toggled.connect(self.face_first_changed)
        self.swap_button = QPushButton("Swap face")
        self.swap_button.setToolTip("Put the selected reference's face on this one (one undoable step)")
        self.swap_button.clicked.connect(self.swap_requested)
        self.hair_button = QPushButton("Hair texture")
        self.hair_button.setToolTip("Take the selected reference's hair colour and texture")
        self.hair_button.clicked.connect(lambda: self.hair_requested.emit(False))
        self.hair_shape_button = QPushButton("Hair + shape")
        self.hair_shape_button.setToolTip("Take the selected reference's hair, its outline included")
        self.hair_shape_button.clicked.connect(lambda: self.hair_requested.emit(True))
        layout = QGridLayout(self)
        layout.addWidget(self.source_label, 0, 0, 1, 3)
        layout.addWidget(QLabel("Amount"), 1, 0)
        layout.addWidget(self.amount_slider, 1, 1)
        layout.addWidget(self._amount_label, 1, 2)
        layout.addWidget(self.face_first_box, 2, 0, 1, 3)
        layout.addWidget(self.swap_button, 3, 0, 1, 3)
        hair_row = QHBoxLayout()
        hair_row.addWidget(self.hair_button)
        hair_row.addWidget(self.hair_shape_button)
        layout.addLayout(hair_row, 4, 0, 1, 3)
        self._on_amount(0)
        self.set_source(None)

    def amount(self) -> float:
        return self.amount_slider.value() / 100

    def face_first(self) -> bool:
        return self.face_first_box.isChecked()

    def set_source(self, name: str | None) -> None:
        """The selected reference's name, or None: then the panel is off."""
        self.source_label.setText(
            f"Source: {name}" if name else "Select a reference in the gallery as the source."
        )
        for widget in (
            self.amount_slider,
            self.face_first_box,
            self.swap_button,
            self.hair_button,
            self.hair_shape_button,
        ):
            widget.setEnabled(name is not None)

    def _on_amount(self, value: int) -> None:
        self._amount_label.setText(f"{value} %")
        self.amount_changed.emit(value / 100)
