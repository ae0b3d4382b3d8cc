"""The ONE place that defines the 12 E4S face regions.

Id, code name, display label, display colour and keyboard shortcut of every region live in
``REGIONS``; the engine, the palette buttons, the checkboxes, the exporters and the tests all read
this table. It also converts label maps from the two common 19-class face parsers and from colour
masks into E4S label maps (uint8 [H, W], values 0..11). Plain numpy, no torch. Facts come from
e4s-design.md section 1 (region order 1.1, parser mappings 1.2, colours 1.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Region:
    """One E4S region; ``id`` is its channel index in the one-hot mask and the model's MLPs."""

    id: int
    name: str  # code name used by the official E4S code, e.g. "belowface"
    label: str  # human display name, e.g. "Neck"
    color: tuple[int, int, int]  # RGB, the CelebAMask-HQ palette entry used by the E4S UIs
    shortcut: str  # keyboard key selecting this region in the editor


# Order is fixed by the released checkpoint (num_seg_cls = 12): never reorder.
_TABLE: tuple[tuple[str, str, tuple[int, int, int], str], ...] = (
    ("background", "Background", (0, 0, 0), "1"),
    ("lip", "Lips", (204, 0, 0), "2"),
    ("eyebrows", "Eyebrows", (76, 153, 0), "3"),
    ("eyes", "Eyes", (204, 204, 0), "4"),
    ("hair", "Hair", (51, 51, 255), "5"),
    ("nose", "Nose", (204, 0, 204), "6"),
    ("skin", "Skin", (0, 255, 255), "7"),
    ("ears", "Ears", (255, 204, 204), "8"),
    ("belowface", "Neck", (102, 51, 0), "9"),
    ("mouth", "Inner mouth", (255, 0, 0), "0"),
    ("eye_glass", "Glasses", (102, 204, 0), "-"),
    ("ear_rings", "Earrings", (255, 255, 0), "="),
)

REGIONS: tuple[Region, ...] = tuple(Region(i, *row) for i, row in enumerate(_TABLE))
NUM_REGIONS = 12
assert len(REGIONS) == NUM_REGIONS

REGION_BY_NAME: dict[str, Region] = {r.name: r for r in REGIONS}

PALETTE: np.ndarray = np.array([r.color for r in REGIONS], dtype=np.uint8)  # [12, 3]
PALETTE.flags.writeable = False

_ID_BY_KEY: dict[str, int] = {k.lower(): r.id for r in REGIONS for k in (r.name, r.label)}


def region_id(name: str) -> int:
    """Id of a region given its code name ("belowface") or display label ("Neck"), any case."""
    key = name.strip().lower()
    if key not in _ID_BY_KEY:
        valid = ", ".join(f"{r.name} ({r.label})" for r in REGIONS)
        raise ValueError(f"Unknown region {name!r}; valid regions are: {valid}")
    return _ID_BY_KEY[key]


# Region groups, as ids in increasing order (the order of the model's vector rows).
# FACE_REGIONS: the face and what an edit may reshape around it: what paste-back replaces in the
# photo and what fitting optimises. Hair, earrings and background stay the photo's own, as in
# the authors' swap blending.
FACE_REGIONS: tuple[int, ...] = tuple(
    sorted(
        region_id(name)
        for name in ("lip", "eyebrows", "eyes", "nose", "skin", "ears", "belowface", "mouth", "eye_glass")
    )
)

# Label maps as the parser writes them and the studio edits them (the aligned crop is 1024 px;
# the network takes label maps of any size and resizes them itself).
LABEL_MAP_SIZE = 512


# E4S region name -> source parser class ids (section 1.2). Hat, necklace and cloth are dropped to
# background exactly as the official converters do, so masks match what the model was trained on.
_CELEBAMASK_HQ_TO_E4S: dict[str, tuple[int, ...]] = {
    "background": (0, 14, 16, 18),  # bg, hat, neck_l, cloth
    "lip": (11, 12),  # u_lip, l_lip
    "eyebrows": (6, 7),  # l_brow, r_brow
    "eyes": (4, 5),  # l_eye, r_eye
    "hair": (13,),
    "nose": (2,),
    "skin": (1,),
    "ears": (8, 9),  # l_ear, r_ear
    "belowface": (17,),  # neck
    "mouth": (10,),  # inner mouth
    "eye_glass": (3,),  # eye_g
    "ear_rings": (15,),  # ear_r
}

_BISENET_TO_E4S: dict[str, tuple[int, ...]] = {
    "background": (0, 15, 16, 18),  # bg, neck_l, cloth, hat
    "lip": (12, 13),  # u_lip, l_lip
    "eyebrows": (2, 3),  # l_brow, r_brow
    "eyes": (4, 5),  # l_eye, r_eye
    "hair": (17,),
    "nose": (10,),
    "skin": (1,),
    "ears": (7, 8),  # l_ear, r_ear
    "belowface": (14,),  # neck
    "mouth": (11,),  # inner mouth
    "eye_glass": (6,),  # eye_g
    "ear_rings": (9,),  # ear_r
}

_NUM_SOURCE_CLASSES = 19


def _build_lut(mapping: dict[str, tuple[int, ...]]) -> np.ndarray:
    sources = sorted(src for ids in mapping.values() for src in ids)
    assert sources == list(range(_NUM_SOURCE_CLASSES)), "each source class mapped exactly once"
    lut = np.zeros(256, dtype=np.uint8)  # entries >= 19 are unreachable: inputs are checked first
    for name, ids in mapping.items():
        lut[list(ids)] = REGION_BY_NAME[name].id
    return lut


_CELEBAMASK_HQ_LUT = _build_lut(_CELEBAMASK_HQ_TO_E4S)
_BISENET_LUT = _build_lut(_BISENET_TO_E4S)


def _check_int_map(label_map: np.ndarray, num_classes: int, what: str) -> np.ndarray:
    arr = np.asarray(label_map)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D [H, W] array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{what} must have an integer dtype, got {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        bad = np.unique(arr[(arr < 0) | (arr >= num_classes)])
        shown = ", ".join(str(v) for v in bad[:8]) + (", ..." if bad.size > 8 else "")
        raise ValueError(f"{what} must hold values 0..{num_classes - 1}, found: {shown}")
    return arr


def from_celebamask_hq(label_map: np.ndarray) -> np.ndarray:
    """CelebAMask-HQ / SegNeXt 19-class label map [H, W] -> E4S labels uint8 [H, W]."""
    arr = _check_int_map(label_map, _NUM_SOURCE_CLASSES, "CelebAMask-HQ label map")
    return _CELEBAMASK_HQ_LUT[arr]  # [H, W] uint8


def from_bisenet(label_map: np.ndarray) -> np.ndarray:
    """face-parsing.PyTorch (BiSeNet) 19-class label map [H, W] -> E4S labels uint8 [H, W]."""
    arr = _check_int_map(label_map, _NUM_SOURCE_CLASSES, "BiSeNet label map")
    return _BISENET_LUT[arr]  # [H, W] uint8


def validate_labels(labels: np.ndarray) -> None:
    """Raise ValueError unless ``labels`` is an integer [H, W] map with values 0..11."""
    _check_int_map(labels, NUM_REGIONS, "E4S label map")


def to_color_mask(labels: np.ndarray) -> np.ndarray:
    """E4S labels [H, W] -> RGB colour mask uint8 [H, W, 3]."""
    validate_labels(labels)
    return PALETTE[np.asarray(labels)]  # [H, W, 3]


def _pack_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32, copy=False)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


_SORT = np.argsort(_pack_rgb(PALETTE))  # exact matching = binary search in sorted colour keys
_SORTED_KEYS = _pack_rgb(PALETTE)[_SORT]  # [12]


def _nearest_palette_ids(rgb: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 -> uint8 [H, W] id of the palette colour closest in RGB (ties: lower id)."""
    # In-place int32 ops over 12 colours: O(H*W) memory and ~50 ms at 1024^2, no BLAS warm-up.
    planes = np.ascontiguousarray(np.moveaxis(rgb, 2, 0), dtype=np.int32)  # [3, H, W]
    best = np.zeros(rgb.shape[:2], dtype=np.uint8)
    best_dist = np.full(rgb.shape[:2], np.iinfo(np.int32).max, dtype=np.int32)
    dist, diff = np.empty_like(best_dist), np.empty_like(best_dist)
    for i, color in enumerate(PALETTE.astype(np.int32)):
        dist.fill(0)
        for plane, value in zip(planes, color, strict=True):
            np.subtract(plane, value, out=diff)
            dist += np.multiply(diff, diff, out=diff)
        np.putmask(best, dist < best_dist, i)
        np.minimum(dist, best_dist, out=best_dist)
    return best


def from_color_mask(rgb: np.ndarray, nearest: bool = False) -> np.ndarray:
    """RGB colour mask uint8 [H, W, 3] in the E4S palette -> E4S labels uint8 [H, W].

    By default every pixel must be exactly one of the 12 palette colours. ``nearest=True`` maps
    each pixel to the closest palette colour instead (for JPEG-compressed or resampled masks).
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"Colour mask must be uint8 [H, W, 3] RGB, got {arr.dtype} {arr.shape}")
    if nearest:
        return _nearest_palette_ids(arr)
    keys = _pack_rgb(arr)  # [H, W]
    pos = np.minimum(np.searchsorted(_SORTED_KEYS, keys), NUM_REGIONS - 1)
    matched = _SORTED_KEYS[pos] == keys
    if not matched.all():
        bad_keys = keys[~matched]  # row-major order, so "first" means first in the image
        bad, first_at = np.unique(bad_keys, return_index=True)
        bad = bad[np.argsort(first_at)]
        shown = ", ".join(f"#{k:06x}" for k in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise ValueError(
            f"{bad_keys.size} pixels of the colour mask match none of the {NUM_REGIONS} region "
            f"colours (e.g. {shown}); repaint them with palette colours or pass nearest=True"
        )
    return _SORT[pos].astype(np.uint8)
