"""The reference gallery: faces whose region textures can be borrowed.

The gallery never reads or encodes an image. It asks for files (buttons, drag and drop) with
``files_requested``; the window encodes them off the UI thread and reports back through
``add_pending`` -> ``set_reference`` or ``set_failed``. Items are keyed by file path, and a
reference whose content hash is already shown is not added twice.

Each reference's parsed mask can be shown over its thumbnail (Show masks, or the context
menu), so a wrong region (a cap parsed as hair) is seen before it is borrowed; the context menu
also re-parses it, opens its mask for painting, or removes it (also Delete).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from e4s_core.photo.io import WRITE_FORMATS
from e4s_core.regions import PALETTE

from ..models.document import THUMBNAIL_SIZE, Reference

# The formats read_photo's advice names are exactly the ones it writes.
IMAGE_SUFFIXES: frozenset[str] = frozenset(WRITE_FORMATS)
_PATH_ROLE = Qt.ItemDataRole.UserRole
_HASH_ROLE = Qt.ItemDataRole.UserRole + 1


def image_files(paths: Iterable[str | Path]) -> list[str]:
    """Image files among ``paths``; a folder stands for its own image files (not subfolders)."""
    found: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.is_file())
            found += [str(p) for p in children if p.suffix.lower() in IMAGE_SUFFIXES]
        elif path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            found.append(str(path))
    return list(dict.fromkeys(found))  # drop repeats, keep order


def rgb_icon(rgb: np.ndarray) -> QIcon:
    """uint8 [H, W, 3] -> QIcon (the QImage copies, so the array may change afterwards)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QIcon(QPixmap.fromImage(image))


MASK_OPACITY = 0.55
EMPTY_HINT = "Drop reference faces here\n(image files or folders)\nor use Add files…"


def masked_thumbnail(reference: Reference) -> np.ndarray:
    """The reference's thumbnail with its parsed regions' colours over it."""
    side = reference.thumbnail.shape[0]
    labels = cv2.resize(reference.labels, (side, side), interpolation=cv2.INTER_NEAREST)
    colours = PALETTE[labels].astype(np.float32)
    blended = (1 - MASK_OPACITY) * reference.thumbnail.astype(np.float32) + MASK_OPACITY * colours
    return np.round(blended).astype(np.uint8)


class _ReferenceList(QListWidget):
    """The thumbnails; says what to do while it is empty."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(130, 130, 130))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8), flags, EMPTY_HINT)


def _file_dialog_filter() -> str:
    patterns = " ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES))
    return f"Images ({patterns});;All files (*)"


class ReferenceGallery(QWidget):
    """Thumbnails of reference faces with Add files / Add folder buttons and drag and drop."""

    files_requested = Signal(list)  # list[str] of image paths for the window to encode
    reference_selected = Signal(object)  # str hash of the selected reference, or None
    reparse_requested = Signal(str)  # path: parse and encode it again with the current parser
    edit_mask_requested = Signal(str)  # path: let the user paint its mask
    removed = Signal(str)  # path of a reference the user removed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_folder = ""  # where the file dialogs open; the window persists it
        self._items: dict[str, QListWidgetItem] = {}  # path -> item
        self._references: dict[str, Reference] = {}  # path -> the reference it shows
        self._list = _ReferenceList()
        self._list.setViewMode(QListView.ViewMode.IconMode)
        self._list.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self._list.setResizeMode(QListView.ResizeMode.Adjust)
        self._list.setMovement(QListView.Movement.Static)
        self._list.setWordWrap(True)
        self._list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        line = self.fontMetrics().lineSpacing()  # room for a two-line name under the thumbnail
        self._list.setGridSize(QSize(THUMBNAIL_SIZE + 2 * line, THUMBNAIL_SIZE + 3 * line))
        self._list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        # Drops land on the gallery itself (Qt walks up to the first widget that accepts them).
        self._list.setDragDropMode(QListWidget.DragDropMode.NoDragDrop)
        self._list.setAcceptDrops(False)
        self._list.viewport().setAcceptDrops(False)
        self._list.itemSelectionChanged.connect(self._on_selection_changed)
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._list.customContextMenuRequested.connect(self._show_menu)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self._list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        self.setAcceptDrops(True)

        add_files = QPushButton("Add files…")
        add_files.setToolTip("Add reference faces from image files")
        add_files.clicked.connect(self.choose_files)
        add_folder = QPushButton("Add folder…")
        add_folder.setToolTip("Add every image in a folder as a reference face")
        add_folder.clicked.connect(self.choose_folder)
        self.masks_button = QCheckBox("Show masks")
        self.masks_button.setToolTip("Show each reference's parsed regions over its thumbnail")
        self.masks_button.toggled.connect(self._refresh_icons)
        buttons = QHBoxLayout()
        buttons.addWidget(add_files)
        buttons.addWidget(add_folder)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self._list)
        layout.addWidget(self.masks_button)

    @property
    def list_widget(self) -> QListWidget:
        return self._list

    # -- asking for files ----------------------------------------------------------------
    def request_files(self, paths: Iterable[str | Path]) -> list[str]:
        """Expand folders, keep image files, emit ``files_requested`` if any; returns them."""
        files = image_files(paths)
        if files:
            self.files_requested.emit(files)
        return files

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add reference faces", self.last_folder, _file_dialog_filter()
        )
        if paths:
            self.last_folder = str(Path(paths[0]).parent)
            self.request_files(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of reference faces", self.last_folder)
        if folder:
            self.last_folder = folder
            self.request_files([folder])

    @staticmethod
    def _dropped_paths(event: QDragMoveEvent | QDropEvent) -> list[str]:
        """Local paths of a drag, or [] when it holds neither folders nor image files."""
        mime = event.mimeData()
        paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []
        # Cheap (no folder listing) so that it can run on every drag move.
        wanted = any(Path(p).is_dir() or Path(p).suffix.lower() in IMAGE_SUFFIXES for p in paths)
        return paths if wanted else []

    def dragEnterEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt override)
        if self._dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt override)
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        paths = self._dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.request_files(paths)

    # -- showing references --------------------------------------------------------------
    def _item(self, path: str) -> QListWidgetItem:
        item = self._items.get(path)
        if item is None:
            item = QListWidgetItem()
            item.setData(_PATH_ROLE, path)
            self._list.addItem(item)
            self._items[path] = item
        return item

    def add_pending(self, path: str | Path) -> None:
        """A placeholder while ``path`` is read and encoded; it cannot be selected yet.

        A path already showing its reference is left alone: ``set_reference`` updates it.
        """
        path = str(path)
        if path in self._items and self._items[path].data(_HASH_ROLE) is not None:
            return
        item = self._item(path)
        item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        item.setText("Encoding…")
        item.setToolTip(f"{path}\nEncoding…")
        item.setData(_HASH_ROLE, None)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)

    def set_reference(self, path: str | Path, reference: Reference) -> None:
        """Show an encoded reference; a file whose content is already shown is dropped."""
        path = str(path)
        existing = self.item_for_hash(reference.hash)
        if existing is not None and existing.data(_PATH_ROLE) != path:
            self.remove(path)
            return
        item = self._item(path)
        self._references[path] = reference
        item.setIcon(self._icon(reference))
        item.setText(reference.name)
        item.setToolTip(f"{path}\nRight-click: show mask, re-parse, paint its mask, remove")
        item.setData(_HASH_ROLE, reference.hash)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)

    def set_failed(self, path: str | Path, message: str) -> None:
        """Keep the file visible with a warning icon; the message explains what went wrong."""
        path = str(path)
        item = self._item(path)
        item.setSelected(False)
        item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        item.setText(Path(path).name)
        item.setToolTip(f"{path}\n{message}")
        item.setData(_HASH_ROLE, None)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)

    def remove(self, path: str | Path) -> None:
        item = self._items.pop(str(path), None)
        self._references.pop(str(path), None)
        if item is not None:
            self._list.takeItem(self._list.row(item))

    def remove_by_user(self, path: str) -> None:
        """The user removes a reference (Delete, or the context menu): the window forgets it too."""
        self.remove(path)
        self.removed.emit(path)

    def remove_selected(self) -> None:
        for item in self._list.selectedItems():
            self.remove_by_user(item.data(_PATH_ROLE))

    def clear(self) -> None:
        self._items.clear()
        self._references.clear()
        self._list.clear()

    # -- masks and the context menu ------------------------------------------------------
    def showing_masks(self) -> bool:
        return self.masks_button.isChecked()

    def _icon(self, reference: Reference) -> QIcon:
        return rgb_icon(masked_thumbnail(reference) if self.showing_masks() else reference.thumbnail)

    def _refresh_icons(self) -> None:
        for path, reference in self._references.items():
            self._items[path].setIcon(self._icon(reference))

    def context_actions(self, path: str) -> dict[str, object]:
        """The context menu's entries for a reference: text -> what it does."""
        actions = {
            "Hide masks" if self.showing_masks() else "Show masks": self.masks_button.toggle,
            "Re-parse with the current parser": lambda: self.reparse_requested.emit(path),
            "Paint its mask…": lambda: self.edit_mask_requested.emit(path),
            "Remove": lambda: self.remove_by_user(path),
        }
        if path not in self._references:  # still encoding, or failed: only retry or remove
            actions = {"Try again": lambda: self.reparse_requested.emit(path), "Remove": actions["Remove"]}
        return actions

    def _show_menu(self, position: QPoint) -> None:
        item = self._list.itemAt(position)
        if item is None:
            return
        if item.flags() & Qt.ItemFlag.ItemIsSelectable:
            self._list.setCurrentItem(item)
        menu = QMenu(self)
        for text, run in self.context_actions(item.data(_PATH_ROLE)).items():
            menu.addAction(text, run)
        menu.exec(self._list.viewport().mapToGlobal(position))

    def item(self, path: str | Path) -> QListWidgetItem | None:
        return self._items.get(str(path))

    def reference_at(self, path: str | Path) -> Reference | None:
        return self._references.get(str(path))

    def item_for_hash(self, reference_hash: str) -> QListWidgetItem | None:
        return next((i for i in self._items.values() if i.data(_HASH_ROLE) == reference_hash), None)

    # -- selection -----------------------------------------------------------------------
    def selected_reference(self) -> str | None:
        selected = self._list.selectedItems()
        return selected[0].data(_HASH_ROLE) if selected else None

    def select_reference(self, reference_hash: str | None) -> None:
        item = None if reference_hash is None else self.item_for_hash(reference_hash)
        if item is None:
            self._list.clearSelection()
        else:
            self._list.setCurrentItem(item)

    def _on_selection_changed(self) -> None:
        self.reference_selected.emit(self.selected_reference())
