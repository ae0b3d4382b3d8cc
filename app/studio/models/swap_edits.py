"""The edits that reshape and retexture at once: a face swap and a hair transfer. No Qt here.

Each is one history step holding a label delta (the recomposed map) and the vector rows it
replaced, like a shape edit and a texture edit together; they register in ``EDIT_KINDS`` like
every kind (``edits.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from e4s_core.regions import LABEL_MAP_SIZE, REGIONS

from .edits import (
    Edit,
    EditRecord,
    LabelDelta,
    ShapeEdit,
    VectorRowsEdit,
    field_array,
    field_number,
    field_text,
)

if TYPE_CHECKING:
    from .document import Document


class ReshapeEdit(Edit):
    """A new label map (``delta``, None if it did not change) and new vector rows, as one step."""

    def __init__(
        self, document: Document, delta: LabelDelta | None, regions, old: np.ndarray, new: np.ndarray
    ):
        self.document, self.delta = document, delta
        self.regions, self.old, self.new = tuple(regions), old, new

    def undo(self) -> None:
        if self.delta is not None:
            self.document.canvas.apply_delta(self.delta, reverse=True)
        if self.regions:
            self.document.set_vector_rows(self.regions, self.old)

    def redo(self) -> None:
        if self.delta is not None:
            self.document.canvas.apply_delta(self.delta)
        if self.regions:
            self.document.set_vector_rows(self.regions, self.new)

    def to_record(self) -> EditRecord:
        fields: dict[str, Any] = {"regions": list(self.regions), **self.record_fields()}
        arrays = {"old": self.old, "new": self.new}
        if self.delta is not None:
            fields |= {"top": self.delta.top, "left": self.delta.left}
            arrays |= {
                "changed": self.delta.changed,
                "old_labels": self.delta.old,
                "new_labels": self.delta.new,
            }
        return EditRecord(self.kind, fields, arrays | self.record_arrays())

    def record_fields(self) -> dict[str, Any]:
        return {}

    def record_arrays(self) -> dict[str, np.ndarray]:
        return {}

    @staticmethod
    def parts_from_record(document: Document, record: EditRecord):
        """(delta or None, regions, old, new) of a record, checked against the document."""
        delta = None
        if "changed" in record.arrays:
            shape = EditRecord(
                "shape",
                {"label": "", "top": record.fields["top"], "left": record.fields["left"]},
                {k: record.arrays[f"{k}_labels" if k != "changed" else k] for k in ("changed", "old", "new")},
            )
            delta = ShapeEdit.from_record(document, shape).delta
        if record.fields["regions"]:
            regions, old, new = VectorRowsEdit.rows_from_record(document, record)
        else:
            regions = ()
            old = new = np.zeros((0, document.vectors.shape[1]), np.float32)
        return delta, regions, old, new


class SwapEdit(ReshapeEdit):
    """The face of a reference (the source) swapped onto the document's face (the target)."""

    kind = "swap"

    def __init__(self, document, delta, regions, old, new, reference: str, amount: float, hair_first: bool,
                 replaced: np.ndarray):  # fmt: skip
        super().__init__(document, delta, regions, old, new)
        self.reference, self.amount, self.hair_first = reference, amount, hair_first
        self.replaced = replaced  # bool [512, 512]: where the photo shows the generated face
        order = "" if hair_first else ", face first"
        self.label = f"Swap: face of {document.references[reference].name} (λ {amount:.2f}{order})"

    def record_fields(self) -> dict[str, Any]:
        return {"reference": self.reference, "amount": self.amount, "hair_first": self.hair_first}

    def record_arrays(self) -> dict[str, np.ndarray]:
        return {"replaced": self.replaced}

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> SwapEdit:
        delta, regions, old, new = cls.parts_from_record(document, record)
        reference = _reference(document, record)
        amount = field_number(record.fields, "amount")
        if not 0 <= amount <= 1:
            raise ValueError(f"amount must be between 0 and 1, got {amount}")
        hair_first = record.fields["hair_first"]
        if not isinstance(hair_first, bool):
            raise ValueError(f"hair_first must be true or false, got {hair_first!r}")
        replaced = field_array(record.arrays, "replaced", np.bool_, shape=(LABEL_MAP_SIZE, LABEL_MAP_SIZE))
        return cls(document, delta, regions, old, new, reference, amount, hair_first, replaced)


class HairEdit(ReshapeEdit):
    """A reference's hair on the document's person: its texture, and with ``shape`` its outline."""

    kind = "hair"

    def __init__(self, document, delta, regions, old, new, reference: str, shape: bool):
        super().__init__(document, delta, regions, old, new)
        self.reference, self.shape = reference, shape
        how = "shape and texture" if shape else "texture"
        self.label = f"{REGIONS[4].label} from {document.references[reference].name} ({how})"

    def record_fields(self) -> dict[str, Any]:
        return {"reference": self.reference, "shape": self.shape}

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> HairEdit:
        delta, regions, old, new = cls.parts_from_record(document, record)
        shape = record.fields["shape"]
        if not isinstance(shape, bool):
            raise ValueError(f"shape must be true or false, got {shape!r}")
        return cls(document, delta, regions, old, new, _reference(document, record), shape)


def _reference(document: Document, record: EditRecord) -> str:
    reference = field_text(record.fields, "reference")
    if reference not in document.references:
        raise ValueError(f"its reference {reference!r} is not among the project's references")
    return reference
