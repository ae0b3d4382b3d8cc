"""Eyeglasses in an aligned face: found by their bridge across the nose, drawn as two lenses.

Every pair of glasses crosses the top of the nose between the eyes, where a face without them is
plain skin; the bridge (metal, plastic, or the tinted edge of a rimless lens) is a band there that
is darker than the skin just above and just below it, at the same height all across the nose. So
glasses are called present only when, across most of the nose's width, a vertical profile of
lightness dips by ``BRIDGE_DEPTH`` below both its sides at a consistent height. A shadow under the
brow ridge darkens downward without coming back, and a crease is too faint or too short: neither
passes. Sunglasses and heavy frames pass easily; a thin pale rim may not (then nothing is drawn,
as before).

The lenses are drawn from the landmarks, not traced: each is a rounded rectangle (a superellipse)
from the side of the nose to past the eye's outer corner and from just below the brow to the
cheekbone, the proportions of ordinary frames; E4S's label covers frames and lenses, with the eyes
(and the brows, where drawn) over them.
"""

from __future__ import annotations

import cv2
import numpy as np

BRIDGE_DEPTH = 30.0  # OpenCV 8-bit L: the dip below the skin above and below the bridge
BRIDGE_SHARE = 0.7  # of the columns across the nose that must show the dip
BRIDGE_SPREAD = 0.06  # of the eye distance: how much the dip's height may vary across the nose
SIDE_WINDOW = 0.25  # of the eye distance: how far above and below the dip its sides are looked for
LENS_HALF_HEIGHT = 0.24  # of the eye distance
LENS_OUTER = 0.3  # of the eye distance beyond the eye's outer corner
LENS_INNER = 0.1  # of the eye distance from the nose's middle
LENS_DROP = 0.035  # of the eye distance: a lens sits a little below the eye's middle


def bridge_row(lightness: np.ndarray, lm: np.ndarray) -> float | None:
    """The image row of a glasses bridge between the eyes, or None if there is none."""
    eye_l, eye_r = lm[36:42].mean(0), lm[42:48].mean(0)
    distance = float(np.hypot(*(eye_r - eye_l)))
    left, right = int(lm[39][0] + 0.2 * distance), int(lm[42][0] - 0.2 * distance)  # clear of the eyes
    top, bottom = int(lm[27][1] - 0.35 * distance), int(lm[28][1] + 0.1 * distance)
    window, gap = max(3, int(SIDE_WINDOW * distance)), max(1, int(0.04 * distance))
    height, width = lightness.shape
    if right - left < 3 or top - window < 0 or bottom + window >= height or left < 0 or right > width:
        return None
    smooth = cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.5)
    rows, depths = [], []
    for x in range(left, right):
        column = smooth[:, x]
        best_depth, best_row = -np.inf, top
        for y in range(top, bottom):
            above = column[y - window : y - gap].max()
            below = column[y + gap : y + window].max()
            depth = min(above, below) - column[y]
            if depth > best_depth:
                best_depth, best_row = depth, y
        rows.append(best_row)
        depths.append(best_depth)
    rows, depths = np.array(rows, float), np.array(depths)
    found = depths > BRIDGE_DEPTH
    if found.mean() < BRIDGE_SHARE or np.std(rows[found]) > BRIDGE_SPREAD * distance:
        return None
    return float(np.median(rows[found]))


def lens_mask(shape: tuple[int, int], lm: np.ndarray) -> np.ndarray:
    """bool [H, W]: both lenses and the bridge between them, from the landmarks."""
    eye_l, eye_r = lm[36:42].mean(0), lm[42:48].mean(0)
    distance = float(np.hypot(*(eye_r - eye_l)))
    middle = (eye_l[0] + eye_r[0]) / 2
    ys, xs = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    mask = np.zeros(shape, bool)
    for eye, outer_corner, sign in ((eye_l, lm[36], -1), (eye_r, lm[45], 1)):
        inner = middle + sign * LENS_INNER * distance
        outer = outer_corner[0] + sign * LENS_OUTER * distance
        centre_x, half_width = (inner + outer) / 2, abs(outer - inner) / 2
        centre_y = eye[1] + LENS_DROP * distance
        half_height = LENS_HALF_HEIGHT * distance
        mask |= ((xs - centre_x) / half_width) ** 4 + ((ys - centre_y) / half_height) ** 4 <= 1
    bridge_top = (eye_l[1] + eye_r[1]) / 2 - 0.08 * distance
    mask |= (
        (np.abs(xs - middle) <= LENS_INNER * distance + 1)
        & (ys >= bridge_top)
        & (ys <= bridge_top + 0.1 * distance)
    )
    return mask
