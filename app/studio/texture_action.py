"""Texture edits: the controls (reference, checked regions, Mix) preview; Apply or Enter commits.

Ticking a region, picking a reference or moving the slider only previews (``pending``), however the
slider moved (drag, release, keys, wheel); one decision is one history step. Apply is disabled
when it would change nothing, or would repeat the step just made with the same controls.
"""

from dataclasses import astuple

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence

from .models.document import PendingTexture
from .models.edits import TextureEdit


class TextureAction(QObject):
    def __init__(self, window, menu) -> None:
        super().__init__(window)
        self.window = window
        self.pending: PendingTexture | None = None  # the mix being previewed
        self.action = window._action(
            menu,
            "Apply &texture",
            lambda: self.apply(None),
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)],
        )
        window.tools.alpha_changed.connect(self.controls_moved)
        window.tools.apply_texture_requested.connect(lambda: self.apply(None))
        window.gallery.reference_selected.connect(self.controls_moved)
        window.regions.checked_changed.connect(self.controls_moved)

    def from_controls(self) -> PendingTexture | None:
        """The mix the texture controls describe, or None when it would change nothing."""
        window, document = self.window, self.window.document
        reference, regions = window.gallery.selected_reference(), window.regions.checked_regions()
        alpha = window.tools.alpha()
        if not (document and reference in document.references and regions and alpha > 0):
            return None
        pending = PendingTexture(reference, tuple(sorted(regions)), alpha)
        history = document.history
        last = history.edits[history.position - 1] if history.position else None
        if isinstance(last, TextureEdit) and (last.reference, last.regions, last.alpha) == astuple(pending):
            return None  # just applied: the same mix again would be a second step nobody decided on
        mixed = document.mixed_vectors(reference, regions, alpha)
        return None if np.array_equal(mixed, document.vectors) else pending

    def update_controls(self, *_) -> None:
        window = self.window
        ready = bool(
            window.document and window.gallery.selected_reference() and window.regions.checked_regions()
        )
        window.tools.set_texture_enabled(ready)
        would_change = self.from_controls() is not None
        window.tools.set_apply_enabled(would_change)
        self.action.setEnabled(would_change)

    def controls_moved(self, *_) -> None:
        """A reference picked, a region ticked, the mix moved: show what Apply would commit."""
        pending = self.from_controls()
        self.update_controls()
        if pending != self.pending:
            self.pending = pending
            self.window.renders.preview()
            self.window.renders.full_soon()

    def textures_changed(self) -> None:
        """Apply, undo, a fit or a swap changed the textures: the preview was of the old ones."""
        self.pending = None
        self.update_controls()

    def apply(self, alpha: float | None = None) -> None:
        """Commit the mix of the checked regions toward the selected reference (one history step)."""
        window = self.window
        reference, regions = window.gallery.selected_reference(), window.regions.checked_regions()
        if not window.document:
            return
        if not reference or not regions:
            window.show_error(
                "Pick a reference in the gallery and check the regions to change.", dialog=False
            )
            return
        self.pending = None
        window.document.apply_texture(reference, regions, window.tools.alpha() if alpha is None else alpha)
