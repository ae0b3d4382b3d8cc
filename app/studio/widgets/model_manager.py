"""File › Manage models…: the installed model and parser files, over the Qt-free ``ModelRegistry``.

The same registry as ``e4s-studio models``: install (checked strictly, copied, hashed), use,
verify, remove, and what each known file is and where people get it. The dialog only shows and
asks; the window applies a choice (``chosen`` carries kind and path).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from e4s_core.errors import E4SError
from e4s_core.model_files import BUILT_IN, KINDS, KNOWN_FILES, ModelRegistry, describe_size

COLUMNS = ("In use", "Name", "Kind", "Size", "Installed from")


class ModelManagerDialog(QDialog):
    chosen = Signal(str, object)  # kind, Path of the file (None: the built-in one)

    def __init__(self, registry: ModelRegistry, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Models and parsers")
        self.registry = registry
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        known = "<br>".join(
            f"<b>{k.file_name}</b>: {k.what}<br>&nbsp;&nbsp;{k.where}"
            for k in KNOWN_FILES
            if k.name not in BUILT_IN
        )
        help_text = QLabel(
            f"Files people use (E4S Studio downloads nothing; install the file you have):<br>{known}"
            f"<br>Installed files live in {registry.folder}."
        )
        help_text.setWordWrap(True)
        help_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Install…", self.install_dialog),
            ("Use", self.use_selected),
            ("Verify", self.verify_all),
            ("Remove", self.remove_selected),
            ("Close", self.accept),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(help_text)
        self.resize(760, 460)
        self.refresh()

    # -- the table -----------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            installed = self.registry.installed()
            active = {kind: self.registry.active(kind) for kind in KINDS}
        except E4SError as error:
            self.say(str(error))
            return
        rows = [(name, kind, "built in", "") for name, kind in BUILT_IN.items()]
        rows += [(e.name, e.kind, describe_size(e.size), e.original) for e in installed.values()]
        self.table.setRowCount(len(rows))
        for row, (name, kind, size, original) in enumerate(rows):
            cells = ("✓" if active[kind] == name else "", name, KINDS[kind], size, original)
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 1).text() if rows else None

    def say(self, text: str) -> None:
        self.message.setText(text)

    # -- actions -------------------------------------------------------------------------------
    def install(self, path: str, name: str | None = None) -> bool:
        try:
            entry = self.registry.install(path, name)
        except E4SError as error:
            self.say(str(error))
            return False
        self.say(
            f"Installed '{entry.name}' ({KINDS[entry.kind]}, {describe_size(entry.size)}). Select it and Use."
        )
        self.refresh()
        return True

    def install_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Install a model or parser file", "", "Weights (*.pt *.pth);;All (*)"
        )
        if path:
            self.install(path)

    def use(self, name: str) -> bool:
        try:
            kind = self.registry.use(name)
            path = None if name in BUILT_IN else self.registry.file_of(name)
        except E4SError as error:
            self.say(str(error))
            return False
        self.chosen.emit(kind, path)
        self.say(f"'{name}' is now the {KINDS[kind]} in use.")
        self.refresh()
        return True

    def use_selected(self) -> None:
        name = self.selected_name()
        if name:
            self.use(name)

    def verify_all(self) -> None:
        try:
            results = self.registry.verify()
        except E4SError as error:
            self.say(str(error))
            return
        problems = [f"{name}: {state}" for name, state in results.items() if state != "ok"]
        self.say("; ".join(problems) if problems else f"All {len(results)} installed files are unchanged.")

    def remove_selected(self) -> None:
        name = self.selected_name()
        if name in BUILT_IN:
            self.say(f"'{name}' is built in and cannot be removed.")
        elif name:
            try:
                self.registry.remove(name)
            except E4SError as error:
                self.say(str(error))
                return
            self.say(f"Removed '{name}'.")
            self.refresh()
