"""A note above the panes, shown until dismissed, while the bundled model is the one in use.

The bundled model was trained on synthetic faces: its raw render is a stylised drawing (the Photo
view keeps the user's photo around the edit). A new user should learn that, and where the
authors' photo-real model goes, before judging the tool by it.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

TEXT = (
    "<b>The bundled model is small and stylised</b> (trained on synthetic faces); the result keeps "
    "your photo around each edit. For photo-real renders and swaps, install the authors' "
    "<i>iteration_300000.pt</i>."
)


class FirstRunNote(QFrame):
    manage_requested = Signal()  # open the model manager
    dismissed = Signal()  # never show this note again

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunNote")
        self.setStyleSheet(
            "#firstRunNote { background: #fff4ce; border: 1px solid #e0c060; border-radius: 4px; }"
            "#firstRunNote QLabel { color: #3a3000; }"
        )
        self.label = QLabel(TEXT)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.manage_button = QPushButton("Install a model…")
        self.manage_button.setToolTip("Open the model manager (File › Manage models and parsers…)")
        self.manage_button.clicked.connect(self.manage_requested)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setToolTip("Do not show this note again")
        self.dismiss_button.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.manage_button)
        buttons.addWidget(self.dismiss_button)
        layout.addLayout(buttons)
        self.hide()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
