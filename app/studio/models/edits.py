"""Every kind of edit the studio's history holds, and the one registry of them. No Qt here.

An edit is a command that has already been applied: ``undo()``, ``redo()`` and a ``label`` for
the history strip. It describes itself as an ``EditRecord`` (``to_record``) and is rebuilt
from one against a document (``from_record``, which validates everything it reads: records
come from project files, which people exchange). Project save and load and the headless
replay loop over ``EDIT_KINDS``, so a new kind of edit is one class here that sets ``kind``.

    class MyEdit(Edit):
        kind = "mine"            # stable: it is written into project files
        ...

Kinds today: ``shape`` (a mask gesture: changed pixels with old and new labels), ``texture``
(regions mixed toward a reference) and ``fit`` (face regions fitted to the photo); the last
two are ``VectorRowsEdit``s, which store the old and new vector rows they replaced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from e4s_core.regions import NUM_REGIONS, REGIONS

if TYPE_CHECKING:
    from .canvas import LabelCanvas
    from .document import Document

Box = tuple[int, int, int, int]  # top, left, bottom, right (exclusive)


class EditRecordError(ValueError):
    """A record that does not describe a valid edit of its document (the message says why)."""


@dataclass
class EditRecord:
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)  # JSON values
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


EDIT_KINDS: dict[str, type[Edit]] = {}


class Edit:
    """One history step. A subclass that sets ``kind`` is registered in ``EDIT_KINDS``."""

    kind: ClassVar[str]
    label: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            if cls.kind in EDIT_KINDS:
                raise TypeError(f"edit kind {cls.kind!r} is registered twice")
            EDIT_KINDS[cls.kind] = cls

    def undo(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        raise NotImplementedError

    def to_record(self) -> EditRecord:
        raise NotImplementedError

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> Edit:
        """The edit ``record`` describes, on ``document``, not yet applied (``redo`` applies it)."""
        raise NotImplementedError


def edit_from_record(document: Document, record: EditRecord) -> Edit:
    """Rebuild any registered kind; raises EditRecordError naming an unknown kind or bad field."""
    kind = EDIT_KINDS.get(record.kind)
    if kind is None:
        known = ", ".join(EDIT_KINDS)
        raise EditRecordError(f"unknown edit kind {record.kind!r} (this version knows {known})")
    try:
        return kind.from_record(document, record)
    except (KeyError, TypeError, ValueError) as error:
        detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise EditRecordError(f"malformed {record.kind!r} edit: {detail}") from error


# -- shape --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelDelta:
    """What one mask gesture changed: the pixels inside a box, with their old and new labels."""

    top: int
    left: int
    changed: np.ndarray  # bool [h, w] inside the box
    old: np.ndarray  # uint8 [n] values before, at the changed pixels
    new: np.ndarray  # uint8 [n] values after

    @property
    def box(self) -> Box:
        return self.top, self.left, self.top + self.changed.shape[0], self.left + self.changed.shape[1]

    @classmethod
    def between(cls, before: np.ndarray, after: np.ndarray, box: Box) -> LabelDelta | None:
        top, left, bottom, right = box
        old, new = before[top:bottom, left:right], after[top:bottom, left:right]
        changed = old != new
        if not changed.any():
            return None
        rows, cols = np.nonzero(changed.any(1))[0], np.nonzero(changed.any(0))[0]
        top, bottom, left, right = top + rows[0], top + rows[-1] + 1, left + cols[0], left + cols[-1] + 1
        old, new = before[top:bottom, left:right], after[top:bottom, left:right]
        changed = old != new
        return cls(int(top), int(left), changed, old[changed].copy(), new[changed].copy())


class ShapeEdit(Edit):
    """One mask gesture: a brush or eraser stroke, a fill, a rectangle, an opened mask."""

    kind = "shape"

    def __init__(self, canvas: LabelCanvas, delta: LabelDelta, label: str):
        self.canvas, self.delta, self.label = canvas, delta, label

    def undo(self) -> None:
        self.canvas.apply_delta(self.delta, reverse=True)

    def redo(self) -> None:
        self.canvas.apply_delta(self.delta)

    def to_record(self) -> EditRecord:
        delta = self.delta
        return EditRecord(
            self.kind,
            {"label": self.label, "top": delta.top, "left": delta.left},
            {"changed": delta.changed, "old": delta.old, "new": delta.new},
        )

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> ShapeEdit:
        fields, arrays = record.fields, record.arrays
        label = field_text(fields, "label")
        top, left = field_integer(fields, "top", 0), field_integer(fields, "left", 0)
        changed = field_array(arrays, "changed", np.bool_, ndim=2)
        rows, cols = document.canvas.labels.shape
        if top + changed.shape[0] > rows or left + changed.shape[1] > cols:
            raise ValueError(f"its box {changed.shape} at ({top}, {left}) leaves the {rows}x{cols} map")
        count = int(changed.sum())
        old = field_array(arrays, "old", np.uint8, shape=(count,))
        new = field_array(arrays, "new", np.uint8, shape=(count,))
        if count == 0 or max(old.max(), new.max()) >= NUM_REGIONS:
            raise ValueError(f"it changes no pixel or holds labels outside 0..{NUM_REGIONS - 1}")
        return cls(document.canvas, LabelDelta(top, left, changed, old, new), label)


# -- vector rows: texture mixes and fits ---------------------------------------------------------
class VectorRowsEdit(Edit):
    """Some regions' vectors replaced: ``old`` and ``new`` rows, float32 [len(regions), V]."""

    def __init__(self, document: Document, regions: tuple[int, ...], old: np.ndarray, new: np.ndarray):
        self.document, self.regions, self.old, self.new = document, tuple(regions), old, new

    def undo(self) -> None:
        self.document.set_vector_rows(self.regions, self.old)

    def redo(self) -> None:
        self.document.set_vector_rows(self.regions, self.new)

    def to_record(self) -> EditRecord:
        fields = {"regions": list(self.regions), **self.record_fields()}
        return EditRecord(self.kind, fields, {"old": self.old, "new": self.new})

    def record_fields(self) -> dict[str, Any]:
        """What this kind stores beyond the rows."""
        return {}

    @staticmethod
    def rows_from_record(
        document: Document, record: EditRecord
    ) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
        """(regions, old, new) of a record, checked against the document's vectors."""
        regions, count = record.fields["regions"], document.vectors.shape[0]
        if not isinstance(regions, list) or not all(type(r) is int and 0 <= r < count for r in regions):
            raise ValueError(f"regions must be a list of region ids 0..{count - 1}, got {regions!r}")
        if not regions or len(set(regions)) != len(regions):
            raise ValueError(f"regions must be distinct and not empty, got {regions}")
        shape = (len(regions), document.vectors.shape[1])
        old = field_array(record.arrays, "old", np.float32, shape=shape)
        new = field_array(record.arrays, "new", np.float32, shape=shape)
        if not (np.isfinite(old).all() and np.isfinite(new).all()):
            raise ValueError("its vector rows hold NaN or infinite values")
        return tuple(regions), old, new


class TextureEdit(VectorRowsEdit):
    """Regions' vectors moved toward a reference's: new = (1 - alpha) * current + alpha * reference."""

    kind = "texture"

    def __init__(self, document: Document, reference: str, regions, alpha: float, old, new):
        super().__init__(document, regions, old, new)
        self.reference, self.alpha = reference, alpha
        names = ", ".join(REGIONS[r].label for r in self.regions)
        self.label = f"Texture {alpha:.0%} from {document.references[reference].name}: {names}"

    def record_fields(self) -> dict[str, Any]:
        return {"reference": self.reference, "alpha": self.alpha}

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> TextureEdit:
        regions, old, new = cls.rows_from_record(document, record)
        reference = field_text(record.fields, "reference")
        if reference not in document.references:
            raise ValueError(f"its reference {reference!r} is not among the project's references")
        alpha = field_number(record.fields, "alpha")
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        return cls(document, reference, regions, alpha, old, new)


class FitEdit(VectorRowsEdit):
    """Face regions' vectors replaced by the ones fitted to the photo; ``kept``: the texture-edited
    face regions the fit left alone."""

    kind = "fit"

    def __init__(
        self,
        document: Document,
        regions,
        old,
        new,
        psnr_before: float,
        psnr_after: float,
        steps: int,
        kept: tuple[int, ...] = (),
    ):
        super().__init__(document, regions, old, new)
        self.psnr_before, self.psnr_after, self.steps, self.kept = psnr_before, psnr_after, steps, tuple(kept)
        self.label = f"Fit to photo: PSNR {psnr_before:.1f} → {psnr_after:.1f} dB"
        if self.kept:
            self.label += " (kept your texture of " + ", ".join(REGIONS[r].label for r in self.kept) + ")"

    def record_fields(self) -> dict[str, Any]:
        fields = {"psnr_before": self.psnr_before, "psnr_after": self.psnr_after, "steps": self.steps}
        return fields | ({"kept": list(self.kept)} if self.kept else {})

    @classmethod
    def from_record(cls, document: Document, record: EditRecord) -> FitEdit:
        regions, old, new = cls.rows_from_record(document, record)
        fields = record.fields
        before, after = field_number(fields, "psnr_before"), field_number(fields, "psnr_after")
        kept = fields.get("kept", [])
        count = document.vectors.shape[0]
        if not isinstance(kept, list) or not all(type(r) is int and 0 <= r < count for r in kept):
            raise ValueError(f"kept must be a list of region ids 0..{count - 1}, got {kept!r}")
        return cls(document, regions, old, new, before, after, field_integer(fields, "steps", 0), tuple(kept))


# -- reading record fields (every kind's from_record uses these) ---------------------------------------
def field_text(fields: dict, name: str) -> str:
    value = fields[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {value!r}")
    return value


def field_integer(fields: dict, name: str, minimum: int) -> int:
    value = fields[name]
    if type(value) is not int or value < minimum:
        raise ValueError(f"{name} must be a whole number from {minimum}, got {value!r}")
    return value


def field_number(fields: dict, name: str) -> float:
    value = fields[name]
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def field_array(
    arrays: dict, name: str, dtype, ndim: int | None = None, shape: tuple | None = None
) -> np.ndarray:
    array = arrays[name]
    if not isinstance(array, np.ndarray) or array.dtype != dtype:
        raise ValueError(
            f"{name} must be a {np.dtype(dtype).name} array, got {getattr(array, 'dtype', array)!r}"
        )
    if (ndim is not None and array.ndim != ndim) or (shape is not None and array.shape != shape):
        expected = shape if shape is not None else f"{ndim} dimensions"
        raise ValueError(f"{name} has shape {array.shape}, expected {expected}")
    return array
