"""``.e4s`` project files: one zip with the face, its label maps, vectors, references and history.

Written atomically (temp file + rename). The history is stored as data — mask
deltas, texture edits and fits (old and new vector rows) — so opening a project
restores undo/redo, and ``replay`` re-applies every step from the parsed map and
the encoded vectors.
"""

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from e4s_core.errors import InputError
from e4s_core.files import atomic_write
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.photo.io import Photo

from .canvas import LabelDelta, ShapeEdit
from .document import Document, FaceSource, Reference, TextureEdit
from .fitting import FitEdit

PROJECT_FORMAT = "e4s-studio-project"
PROJECT_VERSION = 1


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _load_npy(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    return np.load(io.BytesIO(archive.read(name)), allow_pickle=False)


def save_project(document: Document, path: str | Path) -> Path:
    source = document.source
    steps = []
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
    for index, command in enumerate(document.history.commands):
        prefix = f"history/{index:05d}_"
        if isinstance(command, ShapeEdit):
            delta = command.delta
            steps.append({"kind": "shape", "label": command.label, "top": delta.top, "left": delta.left})
            arrays |= {
                prefix + "changed.npy": delta.changed,
                prefix + "old.npy": delta.old,
                prefix + "new.npy": delta.new,
            }
        elif isinstance(command, TextureEdit):
            steps.append(
                {
                    "kind": "texture",
                    "reference": command.reference,
                    "regions": list(command.regions),
                    "alpha": command.alpha,
                }
            )
            arrays |= {prefix + "old.npy": command.old, prefix + "new.npy": command.new}
        elif isinstance(command, FitEdit):
            fields = ("psnr_before", "psnr_after", "steps")
            steps.append(
                {"kind": "fit", "regions": list(command.regions)} | {f: getattr(command, f) for f in fields}
            )
            arrays |= {prefix + "old.npy": command.old, prefix + "new.npy": command.new}
    for reference in document.references.values():
        for part in ("thumbnail", "labels", "vectors"):
            arrays[f"references/{reference.hash}/{part}.npy"] = getattr(reference, part)
    manifest = {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "name": source.name,
        "file_hash": source.file_hash,
        "transform": source.aligned.transform.to_dict(),
        "landmarks": None if source.aligned.landmarks is None else source.aligned.landmarks.tolist(),
        "photo": None
        if source.photo is None
        else {"icc": source.photo.icc_profile.hex() if source.photo.icc_profile else None},
        "references": [{"hash": r.hash, "name": r.name} for r in document.references.values()],
        "history": steps,
        "history_position": document.history.position,
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
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != PROJECT_FORMAT:
                raise ValueError("not an E4S Studio project")
            if manifest.get("version") != PROJECT_VERSION:
                raise ValueError(f"project version {manifest.get('version')} is not supported")
            return _build(archive, manifest)
    except FileNotFoundError as error:
        raise InputError(f"Project not found: {path}") from error
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, json.JSONDecodeError, OSError) as error:
        raise InputError(f"{path.name} is not a readable E4S Studio project: {error}") from error


def _build(archive: zipfile.ZipFile, manifest: dict) -> Document:
    transform = AlignmentTransform.from_dict(manifest["transform"])
    landmarks = manifest.get("landmarks")
    aligned = AlignedFace(
        _load_npy(archive, "aligned.npy"), transform, None if landmarks is None else np.asarray(landmarks)
    )
    photo = None
    if manifest.get("photo") is not None:
        alpha = _load_npy(archive, "photo_alpha.npy") if "photo_alpha.npy" in archive.namelist() else None
        icc = manifest["photo"].get("icc")
        photo = Photo(
            _load_npy(archive, "photo.npy"), alpha=alpha, icc_profile=bytes.fromhex(icc) if icc else None
        )
    parsed = _load_npy(archive, "parsed.npy")
    source = FaceSource(aligned, parsed, photo, manifest.get("name", ""), manifest.get("file_hash", ""))
    document = Document(source, _load_npy(archive, "base_vectors.npy"))
    for entry in manifest["references"]:
        parts = {
            p: _load_npy(archive, f"references/{entry['hash']}/{p}.npy")
            for p in ("thumbnail", "labels", "vectors")
        }
        document.add_reference(Reference(entry["hash"], entry["name"], **parts))
    for index, step in enumerate(manifest["history"]):
        prefix = f"history/{index:05d}_"
        old, new = _load_npy(archive, prefix + "old.npy"), _load_npy(archive, prefix + "new.npy")
        if step["kind"] == "shape":
            delta = LabelDelta(
                step["top"], step["left"], _load_npy(archive, prefix + "changed.npy"), old, new
            )
            document.canvas.apply_delta(delta)
            document.history.push(ShapeEdit(document.canvas, delta, step["label"]))
        elif step["kind"] == "fit":
            regions = tuple(step["regions"])
            document.set_vector_rows(regions, new)
            fit = FitEdit(document, regions, old, new, step["psnr_before"], step["psnr_after"], step["steps"])
            document.history.push(fit)
        else:
            regions = tuple(step["regions"])
            document.set_vector_rows(regions, new)
            document.history.push(TextureEdit(document, step["reference"], regions, step["alpha"], old, new))
    document.history.go_to(manifest["history_position"])
    if not np.array_equal(document.canvas.labels, _load_npy(archive, "labels.npy")):
        raise ValueError("its history does not reproduce its label map")
    if not np.array_equal(document.vectors, _load_npy(archive, "vectors.npy")):
        raise ValueError("its history does not reproduce its vectors")
    return document


def replay(document: Document) -> tuple[np.ndarray, np.ndarray]:
    """Labels and vectors from re-applying the applied history to the parsed map and base vectors."""
    fresh = Document(document.source, document.base_vectors)
    fresh.references = document.references
    for command in document.history.commands[: document.history.position]:
        if isinstance(command, ShapeEdit):
            fresh.canvas.apply_delta(command.delta)
        else:  # TextureEdit or FitEdit: both store the new rows they set
            fresh.set_vector_rows(command.regions, command.new)
    return fresh.canvas.labels.copy(), fresh.vectors.copy()
