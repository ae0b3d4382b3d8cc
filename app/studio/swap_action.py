"""The studio's face swap and hair transfer: the Swap panel wired to the document and the renders.

Moving the amount slider or the hair toggle previews the swap (a plan, not yet a history step);
Swap face commits it as one step; the hair buttons commit at once. Everything is planned and
applied by ``models/swapping.py``, the code ``e4s-studio swap`` and ``hair`` run.
"""

from PySide6.QtCore import QObject

from e4s_core.errors import E4SError

from .models.document import FaceState
from .models.swapping import SwapPlan, apply_hair, apply_swap, plan_swap, swap_preview
from .widgets.swap_panel import SwapPanel


class SwapAction(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = SwapPanel()
        self.plan: SwapPlan | None = None  # the swap being previewed
        self.panel.amount_changed.connect(self.preview)
        self.panel.face_first_changed.connect(self.preview)
        self.panel.swap_requested.connect(self.commit)
        self.panel.hair_requested.connect(self.hair)

    def update_source(self, *_) -> None:
        window = self.window
        reference = window.gallery.selected_reference()
        known = window.document is not None and reference in window.document.references
        self.panel.set_source(window.document.references[reference].name if known else None)
        self.plan = None

    def pending_state(self) -> FaceState | None:
        """The previewed swap's state for the render job, or None."""
        if self.plan is None or self.window.document is None:
            return None
        return swap_preview(self.window.document, self.plan)

    def preview(self, *_) -> None:
        window = self.window
        reference = window.gallery.selected_reference()
        if window.document is None or reference not in window.document.references:
            return
        self.plan = plan_swap(window.document, reference, self.panel.amount(), not self.panel.face_first())
        window.renders.preview()
        window.renders.full_soon()

    def commit(self) -> None:
        self.preview()
        if self.plan is None:
            return
        plan, self.plan = self.plan, None
        apply_swap(self.window.document, plan)
        self.window.renders.full_soon()

    def hair(self, shape: bool) -> None:
        window = self.window
        reference = window.gallery.selected_reference()
        if window.document is None or reference not in window.document.references:
            return
        self.plan = None
        try:
            apply_hair(window.document, reference, shape)
        except E4SError as error:
            window.show_error(str(error), dialog=False)
            return
        window.renders.full_soon()
