"""``.e4s`` project files: one zip with the face, its label maps, vectors, references and history.

Written atomically (temp file + rename). ``manifest.json`` says what the zip holds; arrays are
``.npy`` members (never pickles). The history is stored as data: each step is its edit's
``EditRecord`` (``edits.py``): ``{"kind", "fields", "arrays"}`` in the manifest, its arrays as
``history/NNNNN_<name>.npy``. Opening a project rebuilds every step through the edit registry,
so undo/redo survive, and ``replay`` re-applies the applied steps to the parsed map and the
encoded vectors (what ``render-project`` renders).

Versions: 1 kept each step's fields beside its kind and named no arrays (the kind implied
them); 2 is the record form above. Older versions are migrated on read; a newer one is
refused with a message to update.
"""

import io
import json
import re
import zipfile
from collections.abc import Callable
from math import prod
from pathlib import Path

import numpy as np

from e4s_core.compositing import RegionLooks, region_looks
from e4s_core.errors import InputError
from e4s_core.files import atomic_write
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.photo.io import MAX_PHOTO_PIXELS, Photo
from e4s_core.regions import LABEL_MAP_SIZE, NUM_REGIONS
from e4s_core.untrusted import check_archive, read_npy, read_text

from .document import Document, FaceSource, Reference
from .edits import EditRecord, EditRecordError, edit_from_record
from .result import RESULT_VIEWS

PROJECT_FORMAT = "e4s-studio-project"
PROJECT_VERSION = 2
_ARRAY_NAME = re.compile(r"[a-z][a-z0-9_]*")
# What a project may hold: limits from its legitimate content, checked before reading anything.
MAP = (LABEL_MAP_SIZE, LABEL_MAP_SIZE)
MAX_CROP_SIDE = 4096
MAX_VECTOR_WIDTH = 8192
MAX_STEP_ARRAY_BYTES = LABEL_MAP_SIZE * LABEL_MAP_SIZE * 8
_HASH = re.compile(r"[0-9a-f]{1,64}")  # references are stored under their content hash


def save_project(document: Document, path: str | Path) -> Path:
    source = document.source
    arrays: dict[str, np.ndarray] = {
        "aligned.npy": source.aligned.image,
        "parsed.npy": source.parsed,
        "labels.npy": document.canvas.labels.copy(),
        "base_vectors.npy": document.base_vectors,
        "vectors.npy": document.vectors,
    }
    if source.photo is not None:
        arrays["photo.npy"] = source.photo.rgb
        if source.photo.alpha is not None:
            arrays["photo_alpha.npy"] = source.photo.alpha
    steps = []
    for index, edit in enumerate(document.history.edits):
        record = edit.to_record()
        steps.append({"kind": record.kind, "fields": record.fields, "arrays": sorted(record.arrays)})
        arrays |= {_step_member(index, name): array for name, array in record.arrays.items()}
    for reference in document.references.values():
        for part in ("thumbnail", "labels", "vectors", "looks", "landmarks"):
            if getattr(reference, part) is not None:
                arrays[f"references/{reference.hash}/{part}.npy"] = getattr(reference, part)
    manifest = {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "name": source.name,
        "file_hash": source.file_hash,
        "parser": source.parser,
        "transform": source.aligned.transform.to_dict(),
        "landmarks": None if source.aligned.landmarks is None else source.aligned.landmarks.tolist(),
        "photo": None
        if source.photo is None
        else {"icc": source.photo.icc_profile.hex() if source.photo.icc_profile else None},
        "references": [{"hash": r.hash, "name": r.name} for r in document.references.values()],
        "history": steps,
        "history_position": document.history.position,
        "result_view": document.result_view,
    }

    def write(temp: str) -> None:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
            for name, array in arrays.items():
                archive.writestr(name, _npy(np.ascontiguousarray(array)))

    return atomic_write(path, write)


def load_project(path: str | Path) -> Document:
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive)
            manifest = json.loads(read_text(archive, "manifest.json"))
            if not isinstance(manifest, dict) or manifest.get("format") != PROJECT_FORMAT:
                raise ValueError("not an E4S Studio project")
            return _build(archive, _migrate(manifest))
    except FileNotFoundError as error:
        raise InputError(f"Project not found: {path}") from error
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, TypeError, OSError) as error:
        detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise InputError(
            f"{path.name} is not a readable E4S Studio project: {detail.rstrip('.')}."
            " It may be damaged or from another program; open another copy."
        ) from error


def replay(document: Document) -> Document:
    """A new document: the applied history re-applied, step by step, to the parsed map and the
    encoded vectors (what ``render-project`` renders)."""
    fresh = Document(document.source, document.base_vectors)
    fresh.references = document.references
    fresh.result_view = document.result_view
    for edit in document.history.edits[: document.history.position]:
        replayed = edit_from_record(fresh, edit.to_record())
        replayed.redo()
        fresh.history.push(replayed)
    return fresh


# -- reading ----------------------------------------------------------------------------------------
def _build(archive: zipfile.ZipFile, manifest: dict) -> Document:
    transform = AlignmentTransform.from_dict(manifest["transform"])
    side, (width, height) = transform.size, transform.photo_size
    if not (16 <= side <= MAX_CROP_SIDE and 1 <= width * height <= MAX_PHOTO_PIXELS):
        raise ValueError(f"its transform declares a {side} px crop of a {width}x{height} photo")
    image = _array(archive, "aligned.npy", np.uint8, (side, side, 3))
    aligned = AlignedFace(image, transform, _landmarks(manifest.get("landmarks")))
    photo = None
    if manifest.get("photo") is not None:
        if not isinstance(manifest["photo"], dict):
            raise ValueError("its photo entry is not a record")
        rgb = _array(archive, "photo.npy", np.uint8, (height, width, 3))
        alpha = None
        if "photo_alpha.npy" in archive.namelist():
            alpha = _array(archive, "photo_alpha.npy", np.uint8, rgb.shape[:2])
        icc = manifest["photo"].get("icc")
        photo = Photo(rgb, alpha=alpha, icc_profile=bytes.fromhex(icc) if icc else None)
    parsed = _labels(archive, "parsed.npy")
    name, file_hash = manifest.get("name", ""), manifest.get("file_hash", "")
    parser = manifest.get("parser", "")  # which parser made the labels (not recorded before)
    if not all(isinstance(text, str) for text in (name, file_hash, parser)):
        raise ValueError("its name, file hash and parser must be text")
    base_vectors = _array(archive, "base_vectors.npy", np.float32, (NUM_REGIONS, None))
    if not 1 <= base_vectors.shape[1] <= MAX_VECTOR_WIDTH or not np.isfinite(base_vectors).all():
        raise ValueError(f"its vectors are {base_vectors.shape[1]} wide or not finite")
    document = Document(FaceSource(aligned, parsed, photo, name, file_hash, parser), base_vectors)
    if not isinstance(manifest["references"], list):
        raise ValueError("its references are not a list")
    for entry in manifest["references"]:
        if not (
            isinstance(entry, dict)
            and _HASH.fullmatch(str(entry.get("hash")))
            and isinstance(entry.get("name"), str)
        ):
            raise ValueError(f"reference entry {entry!r} has no valid hash and name")
        folder = f"references/{entry['hash']}"
        thumbnail = _array(archive, f"{folder}/thumbnail.npy", np.uint8, (None, None, 3), square=True)
        labels = _labels(archive, f"{folder}/labels.npy")
        vectors = _array(archive, f"{folder}/vectors.npy", np.float32, base_vectors.shape)
        if not np.isfinite(vectors).all():
            raise ValueError(f"{folder}/vectors.npy holds NaN or infinite values")
        if f"{folder}/looks.npy" in archive.namelist():
            looks = _array(archive, f"{folder}/looks.npy", np.float32, (NUM_REGIONS, 4))
        else:  # written before references kept their looks: colours from the thumbnail, no detail
            thumbnail_looks = region_looks(thumbnail, labels)
            looks = RegionLooks(thumbnail_looks.mean, np.full(NUM_REGIONS, np.nan, np.float32)).to_array()
        landmarks = None  # where its face sits (not kept before face swaps needed it)
        if f"{folder}/landmarks.npy" in archive.namelist():
            landmarks = _array(archive, f"{folder}/landmarks.npy", np.float64, (68, 2))
        reference = Reference(entry["hash"], entry["name"], thumbnail, labels, vectors, looks, landmarks)
        document.add_reference(reference)
    steps = manifest["history"]
    if not isinstance(steps, list):
        raise ValueError("its history is not a list of steps")
    for index, step in enumerate(steps):
        try:
            edit = edit_from_record(document, _read_record(archive, index, step))
        except (KeyError, EditRecordError) as error:
            detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
            raise ValueError(f"history step {index + 1}: {detail}") from error
        edit.redo()
        document.history.push(edit)
    position = manifest["history_position"]
    if type(position) is not int or not 0 <= position <= len(steps):
        raise ValueError(f"its history position {position!r} is not one of 0..{len(steps)}")
    document.history.go_to(position)
    view = manifest.get("result_view")
    if view not in (None, *RESULT_VIEWS):
        raise ValueError(f"its result view {view!r} is not one of {', '.join(RESULT_VIEWS)}")
    document.result_view = view
    if not np.array_equal(document.canvas.labels, _labels(archive, "labels.npy")):
        raise ValueError("its history does not reproduce its label map")
    if not np.array_equal(document.vectors, _array(archive, "vectors.npy", np.float32, base_vectors.shape)):
        raise ValueError("its history does not reproduce its vectors")
    return document


def _landmarks(values: object) -> np.ndarray | None:
    if values is None:
        return None
    landmarks = np.asarray(values, dtype=np.float64)  # ValueError/TypeError for non-numbers
    if landmarks.ndim != 2 or landmarks.shape[1] != 2 or not np.isfinite(landmarks).all():
        raise ValueError(f"its landmarks are not finite (x, y) pairs (shape {landmarks.shape})")
    return landmarks


def _read_record(archive: zipfile.ZipFile, index: int, step: object) -> EditRecord:
    if not isinstance(step, dict) or not isinstance(step.get("kind"), str):
        raise EditRecordError("not an edit record (it has no kind)")
    fields, names = step.get("fields"), step.get("arrays")
    if not isinstance(fields, dict) or not isinstance(names, list):
        raise EditRecordError(f"its {step['kind']!r} record has no fields or no array list")
    if not all(isinstance(name, str) and _ARRAY_NAME.fullmatch(name) for name in names):
        raise EditRecordError(f"its {step['kind']!r} record names arrays badly: {names!r}")
    arrays = {
        name: read_npy(archive, _step_member(index, name), max_bytes=MAX_STEP_ARRAY_BYTES) for name in names
    }
    return EditRecord(step["kind"], fields, arrays)


def _migrate(manifest: dict) -> dict:
    """The manifest in the current version's form (older versions migrated step by step)."""
    version = manifest.get("version")
    if type(version) is not int or version < 1:
        raise ValueError(f"project version {version!r} is not supported")
    if version > PROJECT_VERSION:
        raise ValueError(
            f"it was saved by a newer E4S Studio (project version {version}; this one reads up to"
            f" {PROJECT_VERSION}): update E4S Studio to open it"
        )
    while version < PROJECT_VERSION:
        manifest = _MIGRATIONS[version](manifest)
        version = manifest["version"]
    return manifest


_V1_ARRAYS = {"shape": ["changed", "new", "old"], "texture": ["new", "old"], "fit": ["new", "old"]}


def _version_1_to_2(manifest: dict) -> dict:
    """Version 1 wrote each step's fields beside its kind and implied its arrays by the kind."""
    steps = []
    for index, step in enumerate(manifest["history"]):
        kind = step.get("kind") if isinstance(step, dict) else None
        if kind not in _V1_ARRAYS:
            raise ValueError(f"history step {index + 1}: unknown edit kind {kind!r} in a version 1 project")
        fields = {name: value for name, value in step.items() if name != "kind"}
        steps.append({"kind": kind, "fields": fields, "arrays": _V1_ARRAYS[kind]})
    return {**manifest, "version": 2, "history": steps}


_MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _version_1_to_2}


# -- arrays -----------------------------------------------------------------------------------------
def _step_member(index: int, name: str) -> str:
    return f"history/{index:05d}_{name}.npy"


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _labels(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    labels = _array(archive, name, np.uint8, MAP)
    if labels.max() >= NUM_REGIONS:
        raise ValueError(f"{name} holds label {labels.max()}; region ids run 0..{NUM_REGIONS - 1}")
    return labels


def _array(archive: zipfile.ZipFile, name: str, dtype, shape: tuple, square: bool = False) -> np.ndarray:
    """Member ``name``, its header checked (``dtype``, ``shape`` with None for any size) first."""
    limit = prod(w or MAX_CROP_SIDE for w in shape) * np.dtype(dtype).itemsize
    return read_npy(archive, name, dtype, shape, max_bytes=limit, square=square)
