"""Tiny real-layout datasets the tests write from synthetic faces (nothing downloaded).

``write_celebamask_hq`` writes faces as CelebAMask-HQ distributes them: ``CelebA-HQ-img/N.jpg``
(here PNG bytes would hide decoding; we write JPEG as the dataset does, quality 100) and per-part
masks ``CelebAMask-HQ-mask-anno/<N // 2000>/NNNNN_<part>.png``. The skin mask covers the whole face
interior, as CelebAMask-HQ's annotators drew it, so merging is right only if later parts win.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from e4s_core.regions import region_id, to_color_mask
from e4s_core.synthetic import make_face

# E4S region -> the CelebAMask-HQ part(s) a fixture writes it as; paired parts split at the middle.
PARTS_OF_REGION = {
    "skin": ("skin",),
    "nose": ("nose",),
    "eye_glass": ("eye_g",),
    "eyes": ("l_eye", "r_eye"),
    "eyebrows": ("l_brow", "r_brow"),
    "ears": ("l_ear", "r_ear"),
    "mouth": ("mouth",),
    "lip": ("u_lip", "l_lip"),
    "hair": ("hair",),
    "ear_rings": ("ear_r",),
    "belowface": ("neck",),
}
FACE_INTERIOR = ("skin", "nose", "eyes", "eyebrows", "mouth", "lip")


def part_masks(labels: np.ndarray) -> dict[str, np.ndarray]:
    """CelebAMask-HQ part name -> uint8 mask (255 inside) of a 12-class label map."""
    masks = {}
    half = labels.shape[1] // 2
    for region, parts in PARTS_OF_REGION.items():
        inside = labels == region_id(region)
        if region == "skin":
            inside = np.isin(labels, [region_id(r) for r in FACE_INTERIOR])
        if not inside.any():
            continue
        if len(parts) == 1:
            masks[parts[0]] = inside
        else:  # left/right or upper/lower halves
            first = np.zeros_like(inside)
            if region == "lip":
                rows = np.nonzero(inside)[0]
                first[: int(rows.mean())] = True
            else:
                first[:, :half] = True
            masks[parts[0]], masks[parts[1]] = inside & first, inside & ~first
    return {name: mask.astype(np.uint8) * 255 for name, mask in masks.items() if mask.any()}


def write_celebamask_hq(root: Path, numbers, size: int = 64, seed_offset: int = 0) -> dict[int, np.ndarray]:
    """Write faces ``numbers`` (their seeds: number + seed_offset); returns number -> 12-class labels."""
    images, anno = root / "CelebA-HQ-img", root / "CelebAMask-HQ-mask-anno"
    images.mkdir(parents=True, exist_ok=True)
    truth = {}
    for number in numbers:
        face = make_face(number + seed_offset, size)
        Image.fromarray(face.image).save(images / f"{number}.jpg", quality=100)
        folder = anno / str(number // 2000)
        folder.mkdir(parents=True, exist_ok=True)
        for part, mask in part_masks(face.labels).items():
            Image.fromarray(np.dstack([mask] * 3)).save(
                folder / f"{number:05d}_{part}.png"
            )  # RGB, as shipped
        truth[number] = face.labels
    return truth


def write_face_folder(
    root: Path, count: int, size: int = 64, labels: str | None = "labels", first_seed: int = 0
) -> dict[str, np.ndarray]:
    """``root/images/face_NNN.png`` (+ ``root/labels/face_NNN.png`` 12-class maps unless labels=None)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    if labels:
        (root / labels).mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(count):
        face = make_face(first_seed + i, size)
        name = f"face_{i:03d}"
        Image.fromarray(face.image).save(root / "images" / f"{name}.png")
        if labels:
            Image.fromarray(face.labels).save(root / labels / f"{name}.png")
        truth[name] = face.labels
    return truth


# 12-class id -> the id each 19-class order codes it with (the inverse of the reference sheet's
# table 1.2; lip -> upper lip, brows/eyes/ears -> the left one).
_CODES = {
    "e4s": np.arange(12, dtype=np.uint8),
    "celebamask-hq": np.array([0, 11, 6, 4, 13, 2, 1, 8, 17, 10, 3, 15], np.uint8),
    "bisenet": np.array([0, 12, 2, 4, 17, 10, 1, 7, 14, 11, 6, 9], np.uint8),
}


def coded_labels(labels: np.ndarray, form: str) -> np.ndarray:
    """A 12-class map written in ``form`` (one of ``imageio.LABEL_FORMATS``)."""
    return to_color_mask(labels) if form == "color" else _CODES[form][labels]
