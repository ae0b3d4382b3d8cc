"""Finding the faces of a real dataset on disk: CelebAMask-HQ as distributed, or a folder.

A layout turns a folder into ``FaceEntry`` items (an image and where its labels come from)
without decoding anything, so 30,000 faces are listed in about a second. What cannot be used is
counted in a ``SkipReport`` with its reason, never fatal; a folder that matches no layout is an
error that says what was expected and what was found.
"""

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..imageio import LABEL_FORMATS, LABEL_SUFFIXES

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")

# CelebAMask-HQ's per-part masks in the order of its own merging script (g_mask.py), which writes
# part i as class i + 1 over what earlier parts wrote: later parts win where parts overlap (hair
# over skin, hat over hair, cloth over neck). The class ids this gives are the 19-class order of
# the merged maps (reference sheet 1.2), so merging then mapping equals the merged files.
CELEBAMASK_PARTS = (
    "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear",
    "mouth", "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth",
)  # fmt: skip
CELEBAMASK_IMAGES = "CelebA-HQ-img"
CELEBAMASK_PART_MASKS = "CelebAMask-HQ-mask-anno"
# Merged 19-class maps: the folder g_mask.py writes, the name E4S's loaders read, a common variant.
CELEBAMASK_MERGED = ("CelebAMaskHQ-mask", "CelebA-HQ-mask", "CelebAMask-HQ-mask")
CELEBAMASK_FACES = 30_000
# The authors' split: images 0-27,999 train, 28,000-29,999 validate.
CELEBAMASK_SPLITS = {"train": range(0, 28_000), "val": range(28_000, 30_000), "all": range(0, 30_000)}

# Label maps beside the images of a folder: a labels folder next to an images folder, or a
# suffix on the image's own name. Checked in this order.
LABEL_FOLDERS = ("labels", "masks", "label", "mask")
LABEL_NAME_SUFFIXES = ("_labels", "_label", "_mask", "_seg")


@dataclass(frozen=True)
class FaceEntry:
    name: str  # shown in messages: the image's path relative to the dataset
    image: Path
    labels: Path | None = None  # a label map file in ``label_format``
    parts: tuple[tuple[int, Path], ...] = ()  # or CelebAMask-HQ part masks: (class id, file)


@dataclass
class SkipReport:
    """Files left out, by reason: each file counted once however often it was tried."""

    files: dict[str, set[str]] = field(default_factory=dict)

    def add(self, reason: str, name: str) -> None:
        self.files.setdefault(reason, set()).add(name)

    def merge(self, other: "SkipReport") -> None:
        for reason, names in other.files.items():
            self.files.setdefault(reason, set()).update(names)

    @property
    def counts(self) -> Counter:
        return Counter({reason: len(names) for reason, names in self.files.items()})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if not self.total:
            return "nothing skipped"
        parts = [
            f"{count} {reason} (e.g. {', '.join(sorted(self.files[reason])[:3])})"
            for reason, count in self.counts.most_common()
        ]
        return f"skipped {self.total}: " + "; ".join(parts)

    def to_dict(self) -> dict[str, list[str]]:
        return {reason: sorted(names) for reason, names in self.files.items()}

    @classmethod
    def from_dict(cls, files: dict) -> "SkipReport":
        return cls({str(reason): set(map(str, names)) for reason, names in (files or {}).items()})


def _listing(folder: Path) -> str:
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        return f"it cannot be listed ({error.strerror or error})"
    if not names:
        return "it is empty"
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} entries)" if len(names) > 8 else "")
    return f"found: {shown}"


def _require_folder(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"{what} {path} does not exist")
    if not path.is_dir():
        raise InputError(f"{what} {path} is a file; give the folder that holds the faces")
    return path


# -- CelebAMask-HQ -----------------------------------------------------------------------------
def celebamask_hq_entries(
    root: str | os.PathLike,
    split: str = "train",
    merged_labels: str | os.PathLike | None = None,
    required: bool = True,
) -> tuple[list[FaceEntry], SkipReport, str]:
    """(entries, skipped, label_format) of CelebAMask-HQ's ``split`` under ``root``.

    Labels come from ``merged_labels`` (a folder of ``N.png`` 19-class maps) if given, else from a
    merged folder inside ``root`` if there is one, else from the per-part masks.
    """
    root = _require_folder(Path(root), "The CelebAMask-HQ folder")
    if split not in CELEBAMASK_SPLITS:
        raise InputError(f"split must be one of {', '.join(CELEBAMASK_SPLITS)}, got {split!r}")
    images = root / CELEBAMASK_IMAGES
    merged = Path(merged_labels) if merged_labels else next(
        (root / name for name in CELEBAMASK_MERGED if (root / name).is_dir()), None
    )  # fmt: skip
    parts = root / CELEBAMASK_PART_MASKS
    if not images.is_dir() or (merged is None and not parts.is_dir()):
        raise InputError(
            f"{root} is not CelebAMask-HQ as distributed: expected {CELEBAMASK_IMAGES}/ and"
            f" {CELEBAMASK_PART_MASKS}/ (or a merged {CELEBAMASK_MERGED[0]}/); {_listing(root)}"
        )
    if merged is not None:
        _require_folder(merged, "The merged label folder")
    image_files = _numbered(images, IMAGE_SUFFIXES)
    if not image_files:
        raise InputError(f"{images} holds no numbered images (0.jpg, 1.jpg, ...); {_listing(images)}")
    label_files = _numbered(merged, LABEL_SUFFIXES) if merged is not None else {}
    part_files = {} if merged is not None else _part_masks(parts)
    skipped = SkipReport()
    entries = []
    for index in CELEBAMASK_SPLITS[split]:
        image = image_files.get(index)
        name = image.name if image else f"{index}.jpg"
        if image is None:
            if index in label_files or index in part_files:
                skipped.add("labels without an image", name)
            continue
        if merged is not None:
            if index not in label_files:
                skipped.add("images without a label map", name)
                continue
            entries.append(FaceEntry(f"{CELEBAMASK_IMAGES}/{name}", image, labels=label_files[index]))
        else:
            if index not in part_files:
                skipped.add("images without part masks", name)
                continue
            entries.append(FaceEntry(f"{CELEBAMASK_IMAGES}/{name}", image, parts=part_files[index]))
    if not entries and required:
        raise InputError(
            f"{root}: none of the {split} split's images (numbers {CELEBAMASK_SPLITS[split].start}"
            f"-{CELEBAMASK_SPLITS[split].stop - 1}) has both an image and labels; {skipped.summary()}"
        )
    return entries, skipped, "celebamask-hq"


def _numbered(folder: Path, suffixes: tuple[str, ...]) -> dict[int, Path]:
    """``{N: folder/N.ext}`` for files named by a bare number."""
    found = {}
    with os.scandir(folder) as listing:
        for item in listing:
            stem, suffix = os.path.splitext(item.name)
            if suffix.lower() in suffixes and stem.isdigit():
                found[int(stem)] = Path(item.path)
    return found


def _part_masks(parts: Path) -> dict[int, tuple[tuple[int, Path], ...]]:
    """Image number -> its part masks ``(class id, file)`` in merging order."""
    class_of = {part: i + 1 for i, part in enumerate(CELEBAMASK_PARTS)}
    found: dict[int, list[tuple[int, Path]]] = {}
    for sub in sorted(parts.iterdir()):
        if not sub.is_dir():
            continue
        with os.scandir(sub) as listing:
            for item in listing:
                stem, suffix = os.path.splitext(item.name)
                number, _, part = stem.partition("_")
                if suffix.lower() == ".png" and number.isdigit() and part in class_of:
                    found.setdefault(int(number), []).append((class_of[part], Path(item.path)))
    return {index: tuple(sorted(masks)) for index, masks in found.items()}


def merge_part_masks(parts: list[tuple[int, np.ndarray]], shape: tuple[int, int]) -> np.ndarray:
    """CelebAMask-HQ 19-class map uint8 ``shape`` from (class id, mask) pairs, later ids winning."""
    merged = np.zeros(shape, np.uint8)
    for class_id, mask in sorted(parts, key=lambda part: part[0]):
        merged[np.asarray(mask) != 0] = class_id
    return merged


# -- a folder of aligned faces -----------------------------------------------------------------
def folder_entries(
    root: str | os.PathLike, labels: str | os.PathLike | None = None
) -> tuple[list[FaceEntry], SkipReport, bool]:
    """(entries, skipped, labelled) of a folder of aligned faces.

    Images are ``root/images/*`` or ``root/*``. Their label maps (same stem) are in ``labels``,
    or in a ``labels/`` (``masks/``) folder beside the images, or named ``<stem>_labels.png``
    (``_mask``, ``_seg``) next to each image. ``labelled`` is False when no image has one: the
    caller labels them with a parser.
    """
    root = _require_folder(Path(root), "The face folder")
    image_dir = root / "images" if (root / "images").is_dir() else root
    images = sorted(
        p for p in image_dir.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not _is_label_name(p.stem)
    )  # fmt: skip
    if not images:
        raise InputError(
            f"{root} holds no face images ({', '.join(IMAGE_SUFFIXES)}) in itself or in images/;"
            f" {_listing(root)}"
        )
    label_dir = Path(labels) if labels else next(
        (root / name for name in LABEL_FOLDERS if (root / name).is_dir()), None
    )  # fmt: skip
    if label_dir is not None:
        _require_folder(label_dir, "The label folder")
    skipped = SkipReport()
    entries = []
    for image in images:
        name = str(image.relative_to(root))
        label = _label_beside(image, label_dir)
        entries.append(FaceEntry(name, image, labels=label))
    labelled = any(entry.labels for entry in entries)
    if label_dir is not None and not labelled:
        raise InputError(
            f"{label_dir} has no label map named like the images (e.g. {images[0].stem}.png);"
            f" {_listing(label_dir)}"
        )
    if labelled:
        for entry in entries:
            if entry.labels is None:
                skipped.add("images without a label map", entry.name)
        entries = [entry for entry in entries if entry.labels is not None]
    if label_dir is not None:
        stems = {image.stem for image in images}
        for label in sorted(label_dir.iterdir()):
            if label.suffix.lower() in LABEL_SUFFIXES and label.stem not in stems:
                skipped.add("label maps without an image", label.name)
    return entries, skipped, labelled


def _is_label_name(stem: str) -> bool:
    return stem.endswith(LABEL_NAME_SUFFIXES)


def _label_beside(image: Path, label_dir: Path | None) -> Path | None:
    if label_dir is not None:
        candidates = [label_dir / (image.stem + suffix) for suffix in LABEL_SUFFIXES]
    else:
        candidates = [
            image.with_name(image.stem + tag + suffix)
            for tag in LABEL_NAME_SUFFIXES
            for suffix in LABEL_SUFFIXES
        ]
    return next((path for path in candidates if path.is_file()), None)


def detect_label_format(samples: list[np.ndarray]) -> str:
    """Which of ``LABEL_FORMATS`` a few label images (as read, uint8) are in.

    Colour if any is colour; 12-class if no id reaches 12; otherwise CelebAMask-HQ or BiSeNet
    order, told apart by where ids 17 and 13 sit against the skin (1, the same in both): in
    CelebAMask-HQ order 17 is the neck, below the face, and 13 the hair, above its middle; in
    BiSeNet order 17 is the hair and 13 the lower lip, below the face's middle.
    """
    if any(s.ndim == 3 and not (s[..., :1] == s[..., :3]).all() for s in samples):
        return "color"
    grey = [s[..., 0] if s.ndim == 3 else s for s in samples]
    top = max(int(g.max()) for g in grey)
    if top < 12:
        return "e4s"
    if top >= 19:
        raise InputError(
            f"the label maps hold values up to {top}: they are not 12- or 19-class id maps"
            f" (binary masks or images?); give the format with --labels-format ({', '.join(LABEL_FORMATS)})"
        )
    rows = {}
    for label in (1, 13, 17):
        found = [np.nonzero(g == label)[0] / g.shape[0] for g in grey]
        found = [r for r in found if len(r)]
        if found:
            rows[label] = float(np.mean(np.concatenate(found)))
    if 1 in rows:
        score = (rows[17] - rows[1] if 17 in rows else 0.0) - (rows[13] - rows[1] if 13 in rows else 0.0)
        if abs(score) > 0.05:
            return "celebamask-hq" if score > 0 else "bisenet"
    raise InputError(
        "cannot tell whether the label maps are in CelebAMask-HQ or BiSeNet order;"
        " name it with --labels-format celebamask-hq or --labels-format bisenet"
    )
