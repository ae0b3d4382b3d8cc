"""The reference gallery's work: encode added faces, re-parse them, paint their masks, remove them.

Encoding runs on the task queue (``reference:<path>``), once per file content, model and parser.
A painted mask makes a new reference (its own hash), so history steps made with the old parse keep
the looks they were made with.
"""

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject

from .models.document import Reference, content_hash, load_face, make_reference
from .widgets.reference_mask_dialog import ReferenceMaskDialog

TASK_PREFIX = "reference:"  # + path: encode a reference
SOURCE_TASK_PREFIX = "reference-face:"  # + path: load its aligned face to paint its mask
PAINTED_TASK_PREFIX = "reference-painted:"  # + path: encode it under a painted mask


class ReferenceActions(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.references: dict[str, Reference] = {}  # hash -> reference: the gallery's faces, every document
        self._cache: dict[tuple, Reference] = {}
        self.mask_dialog: ReferenceMaskDialog | None = None
        gallery = window.gallery
        gallery.files_requested.connect(self.add)
        gallery.reparse_requested.connect(lambda path: self.add([path], fresh=True))
        gallery.edit_mask_requested.connect(self.paint_mask)
        gallery.removed.connect(self._forget)

    def owns(self, task: str) -> bool:
        return task.startswith((TASK_PREFIX, SOURCE_TASK_PREFIX, PAINTED_TASK_PREFIX))

    # -- adding and re-parsing ---------------------------------------------------------------
    def add(self, paths: list[str], fresh: bool = False) -> None:
        """Encode ``paths`` in the background (``fresh``: parse again even if encoded before)."""
        window = self.window
        if window.model is None:
            window.show_error("Choose a model first (File › Choose model…).")
            return
        for path in paths:
            window.gallery.add_pending(path)
            window.tasks.submit(TASK_PREFIX + path, lambda p=path: self._encode(p, fresh))

    def _encode(self, path: str, fresh: bool) -> Reference:
        """On the task thread: align, parse and encode once per file content, model and parser."""
        model, parser = self.window.model, self.window.parser
        from e4s_core.photo.parse import describe_parser

        key = (content_hash(Path(path).read_bytes()), model.identity, describe_parser(parser))
        if fresh or key not in self._cache:
            self._cache[key] = make_reference(model, load_face(path, parser=parser))
        return self._cache[key]

    # -- painting a mask -----------------------------------------------------------------------
    def paint_mask(self, path: str) -> None:
        window = self.window
        if window.model is None:
            return
        parser = window.parser
        window.statusBar().showMessage(f"Opening {Path(path).name} to paint its mask…")
        window.tasks.submit(SOURCE_TASK_PREFIX + path, lambda: load_face(path, parser=parser))

    def _ask_for_mask(self, path: str, source) -> None:
        shown = self.window.gallery.reference_at(path)
        labels = shown.labels if shown is not None else source.parsed
        dialog = ReferenceMaskDialog(source.name, source.aligned.image, labels, self.window)
        dialog.accepted.connect(lambda: self.use_painted_mask(path, source, dialog.labels))
        self.mask_dialog = dialog  # the one open (window-modal, so the event loop keeps running)
        dialog.open()

    def use_painted_mask(self, path: str, source, labels) -> None:
        """Encode the reference again under ``labels`` (uint8 [512, 512]) as a new reference."""
        window, model = self.window, self.window.model
        painted = dataclasses.replace(
            source,
            parsed=labels,
            file_hash=f"{source.file_hash}~{content_hash(labels.tobytes())[:8]}",
            name=f"{Path(source.name).stem} (painted mask)",
        )
        window.gallery.add_pending(path)
        window.tasks.submit(PAINTED_TASK_PREFIX + path, lambda: make_reference(model, painted))

    # -- outcomes (GUI thread) -----------------------------------------------------------------
    def finish(self, task: str, outcome) -> None:
        window = self.window
        prefix = next(p for p in (SOURCE_TASK_PREFIX, PAINTED_TASK_PREFIX, TASK_PREFIX) if task.startswith(p))
        path = task[len(prefix) :]
        if outcome.error:
            if prefix != SOURCE_TASK_PREFIX:
                window.gallery.set_failed(path, outcome.error)
            window.show_error(f"{Path(path).name}: {outcome.error}", dialog=False)
            return
        if prefix == SOURCE_TASK_PREFIX:
            window.statusBar().clearMessage()
            self._ask_for_mask(path, outcome.value)
            return
        reference = self.references.setdefault(outcome.value.hash, outcome.value)
        if window.document is not None:
            window.document.add_reference(reference)
        if window.gallery.item(path) is None:  # removed while it was encoding
            return
        window.gallery.set_reference(path, reference)
        if prefix == PAINTED_TASK_PREFIX:
            window.gallery.select_reference(reference.hash)
        window.swapper.update_source()
        window._update_texture_controls()

    def _forget(self, path: str) -> None:
        """The user removed ``path`` from the gallery: new documents will not see it. The open
        document keeps it while its history uses it (undo must still work)."""
        window = self.window
        gone = {h for h, r in self.references.items() if window.gallery.item_for_hash(h) is None}
        for reference_hash in gone:
            self.references.pop(reference_hash)
        window.swapper.update_source()
        window._update_texture_controls()
