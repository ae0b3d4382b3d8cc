"""Paste an edited aligned face crop back into its full-resolution photo, seam-free.

The official E4S code warps the whole 1024 crop square back over the photo (design notes 4.3,
step 11), so hair, background and the square's edge are replaced too. Here only the masked
regions are pasted, with a feathered edge and a multi-band blend, and only inside a region of
interest around the face: a 10000x10000 photo costs no more than its face. Every photo pixel
outside the blend's support (feathered mask grown by the pyramid's reach) is bit-identical.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from e4s_core.errors import InputError
from e4s_core.photo.blend import feathered_mask, laplacian_blend, pyramid_levels, pyramid_reach
from e4s_core.regions import NUM_REGIONS

FEATHER_FRACTION = 0.02  # feather width as a fraction of the crop side, in photo pixels
MIN_FEATHER = 2.0  # pixels
# The coarsest band spans about 1/32 of the face: wide enough to hide lighting seams, local
# enough that the face's own colour is not mixed with the far background.
BAND_FRACTION = 1 / 32


def face_mask_from_labels(labels: np.ndarray, regions: Iterable[int], size: int) -> np.ndarray:
    """Crop-space paste mask (float32 [size, size], 1 = paste) of the pixels whose E4S region id
    is in ``regions``; ``labels`` (uint8 [h, w], ids 0..11) is resized nearest to ``size``."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.size == 0:
        raise InputError(f"A label map must be a 2-D array [H, W], got shape {labels.shape}.")
    ids = sorted({int(r) for r in regions})
    if any(not 0 <= r < NUM_REGIONS for r in ids):
        raise InputError(f"Region ids must be 0..{NUM_REGIONS - 1}, got {ids}.")
    if size < 1:
        raise InputError(f"The crop size must be positive, got {size}.")
    chosen = np.isin(labels, ids).astype(np.uint8)  # [h, w]
    if chosen.shape != (size, size):
        chosen = cv2.resize(chosen, (size, size), interpolation=cv2.INTER_NEAREST)
    return chosen.astype(np.float32)


def _scale(crop_to_photo: np.ndarray) -> float:
    """Photo pixels per crop pixel of a similarity (or near-similarity) transform."""
    return float(np.sqrt(abs(np.linalg.det(crop_to_photo[:, :2]))))


def crop_roi(
    photo_shape: tuple[int, ...], crop_to_photo: np.ndarray, size: int, margin: int = 0
) -> tuple[int, int, int, int] | None:
    """Photo-space box (x0, y0, x1, y1), end-exclusive, holding the crop square grown by
    ``margin`` pixels and clipped to the photo; ``None`` when the square misses the photo."""
    height, width = photo_shape[:2]
    lo, hi = -0.5, size - 0.5  # the square's outer edges in crop pixel-centre coordinates
    corners = np.array([[lo, lo, 1], [hi, lo, 1], [hi, hi, 1], [lo, hi, 1]], dtype=np.float64)
    xy = corners @ np.asarray(crop_to_photo, dtype=np.float64).T  # [4, 2]
    x0, y0 = np.floor(xy.min(axis=0)).astype(int)
    x1, y1 = np.ceil(xy.max(axis=0)).astype(int) + 1
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        return None
    return (max(x0 - margin, 0), max(y0 - margin, 0), min(x1 + margin, width), min(y1 + margin, height))


def _check_inputs(photo, crop, crop_to_photo, crop_mask) -> None:
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise InputError(f"The photo must be an RGB uint8 array [H, W, 3], got {photo.dtype} {photo.shape}.")
    if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] != crop.shape[1]:
        raise InputError(
            f"The face crop must be a square RGB uint8 array [S, S, 3], got {crop.dtype} {crop.shape}."
        )
    if crop_mask.shape != crop.shape[:2]:
        raise InputError(f"The paste mask must be [S, S] = {crop.shape[:2]}, got {crop_mask.shape}.")
    if crop_to_photo.shape != (2, 3) or not np.all(np.isfinite(crop_to_photo)):
        raise InputError("The crop-to-photo transform must be a finite 2x3 affine matrix.")
    if _scale(crop_to_photo) < 1e-6:
        raise InputError("The crop-to-photo transform is degenerate (it maps the crop to a line).")


def paste_back(
    photo_rgb: np.ndarray,
    crop_rgb: np.ndarray,
    crop_to_photo: np.ndarray,
    crop_mask: np.ndarray,
    *,
    feather: float | None = None,
    levels: int | None = None,
) -> np.ndarray:
    """Blend the masked part of an aligned crop back into the photo; returns a new photo.

    photo_rgb: uint8 [H, W, 3]; crop_rgb: uint8 [S, S, 3]; crop_to_photo: [2, 3] with
    photo_xy = A @ [crop_x, crop_y, 1] (OpenCV pixel centres); crop_mask: float/bool [S, S],
    1 where the crop replaces the photo. ``feather``: width of the soft edge in photo pixels
    (default 2% of the crop side in photo pixels, at least 2). ``levels``: pyramid levels
    (default from the face size). The input photo is never modified.
    """
    photo_rgb, crop_rgb = np.asarray(photo_rgb), np.asarray(crop_rgb)
    crop_to_photo = np.asarray(crop_to_photo, dtype=np.float64)
    crop_mask = np.asarray(crop_mask)
    _check_inputs(photo_rgb, crop_rgb, crop_to_photo, crop_mask)
    size = crop_rgb.shape[0]
    face_px = size * _scale(crop_to_photo)  # crop side measured in photo pixels
    if feather is None:
        feather = max(MIN_FEATHER, FEATHER_FRACTION * face_px)
    if levels is None:
        levels = 1 + max(0, int(np.log2(max(face_px * BAND_FRACTION, 1.0))))
    margin = pyramid_reach(levels) + 2

    roi = crop_roi(photo_rgb.shape, crop_to_photo, size, margin)
    if roi is None or crop_roi(photo_rgb.shape, crop_to_photo, size, 0) is None:
        raise InputError(
            "The face crop lies entirely outside the photo; check that the crop belongs to this "
            "photo and that its alignment transform was not altered."
        )
    x0, y0, x1, y1 = roi
    out = photo_rgb.copy()
    mask = crop_mask.astype(np.float32)
    crop_src = crop_rgb
    to_photo = crop_to_photo.copy()
    shrink = face_px / size
    if shrink < 0.5:
        # Shrinking by warpAffine alone aliases (it samples); area-average first, then warp.
        small = max(1, round(size * shrink))
        crop_src = cv2.resize(crop_rgb, (small, small), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, (small, small), interpolation=cv2.INTER_AREA)
        f = size / small  # cv2.resize maps small pixel centre x' to (x' + 0.5) * f - 0.5
        to_photo = to_photo @ np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]])
    to_roi = to_photo.copy()
    to_roi[:, 2] -= (x0, y0)
    roi_size = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(
        crop_src, to_roi, roi_size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )  # [h, w, 3]
    inside = np.ones(crop_src.shape[:2], np.float32)
    valid = cv2.warpAffine(inside, to_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0)  # [h, w]
    paste = cv2.warpAffine(mask, to_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0)  # [h, w]
    alpha = feathered_mask((paste >= 0.5) & (valid >= 0.999), feather)  # [h, w]
    if not alpha.any():
        return out  # the pasted regions fall outside the photo: nothing to do

    background = photo_rgb[y0:y1, x0:x1]
    # Outside the square the foreground is the photo itself, so the wide low-frequency bands
    # blend toward real content instead of BORDER_REPLICATE's streaks.
    foreground = cv2.blendLinear(warped, background, valid, 1.0 - valid)  # [h, w, 3] uint8
    n_levels = pyramid_levels(roi_size[1], roi_size[0], levels)
    blended = laplacian_blend(foreground, background, alpha, n_levels)

    # Only pixels the blend can reach are written: distance (chessboard, per-axis like the
    # separable pyramid kernel) to the nearest pixel with alpha > 0 at most the pyramid's reach.
    outside = (alpha <= 0).astype(np.uint8)
    reach = cv2.distanceTransform(outside, cv2.DIST_C, 3) <= pyramid_reach(n_levels)  # [h, w]
    np.copyto(out[y0:y1, x0:x1], blended, where=reach[..., None])
    return out


def paste_change(
    photo_rgb: np.ndarray,
    crop_before: np.ndarray,
    crop_after: np.ndarray,
    crop_to_photo: np.ndarray,
    changed: np.ndarray,
) -> np.ndarray:
    """The photo plus what an edit changed in its crop; every other photo pixel bit-identical.

    Only the change (``crop_after - crop_before``, uint8 [S, S, 3] each) is warped back and
    added, so the photo keeps its own resolution and detail under the edit: nothing of the
    photo is resampled twice. ``changed`` (bool [S, S]) says where the crops may differ; a
    photo pixel changes only where that area lands on it.
    """
    photo_rgb = np.asarray(photo_rgb)
    crop_to_photo = np.asarray(crop_to_photo, dtype=np.float64)
    _check_inputs(photo_rgb, crop_after, crop_to_photo, np.asarray(changed))
    if crop_before.shape != crop_after.shape:
        raise InputError(
            f"The crops before and after must match, got {crop_before.shape} and {crop_after.shape}."
        )
    out = photo_rgb.copy()
    if not np.any(changed):
        return out
    size = crop_after.shape[0]
    roi = crop_roi(photo_rgb.shape, crop_to_photo, size, margin=2)
    if roi is None:
        return out
    x0, y0, x1, y1 = roi
    change = crop_after.astype(np.float32) - crop_before  # [S, S, 3]
    support = np.asarray(changed, np.float32)
    to_roi = crop_to_photo.copy()
    shrink = _scale(crop_to_photo)  # photo pixels per crop pixel
    if shrink < 0.5:  # area-average first: warpAffine alone samples, and would alias
        small = max(1, round(size * shrink))
        change = cv2.resize(change, (small, small), interpolation=cv2.INTER_AREA)
        support = cv2.resize(support, (small, small), interpolation=cv2.INTER_AREA)
        f = size / small
        to_roi = to_roi @ np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]])
    to_roi[:, 2] -= (x0, y0)
    roi_size = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(change, to_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    reached = cv2.warpAffine(support, to_roi, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0) > 0
    region = out[y0:y1, x0:x1]
    edited = np.clip(np.rint(region + warped), 0, 255).astype(np.uint8)
    np.copyto(region, edited, where=reached[..., None])
    return out
