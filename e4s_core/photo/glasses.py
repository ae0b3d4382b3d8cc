"""Eyeglasses in an aligned face: found by their bridge across the nose, drawn as two lenses.

Every pair of glasses crosses the top of the nose between the eyes, where a face without them is
plain skin; the bridge (metal, plastic, or the tinted edge of a rimless lens) is a band there that
is darker than the skin just above and just below it, at the same height all across the nose. So
glasses are called present only when, across most of the nose's width, a vertical profile of
lightness dips by ``BRIDGE_DEPTH`` below both its sides at a consistent height. A shadow under the
brow ridge darkens downward without coming back, and a crease is too faint or too short: neither
passes. Sunglasses and heavy frames pass easily; a thin pale rim may not (then nothing is drawn,
as before).

Each lens is drawn as a rounded rectangle (a superellipse) from the side of the nose to past the
eye's outer corner. Its top and outer side are traced: of a range of sizes, the one whose outline
runs along the frame's outer edge, where lightness rises from the frame to the skin. Its bottom
follows from its width in ordinary proportions: a lower rim is often thin or clear, and eye bags
and wrinkles below the eye make stronger edges than it does. E4S's label covers frames and lenses,
with the eyes (and the brows, where visible) over them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BRIDGE_DEPTH = 30.0  # OpenCV 8-bit L: the dip below the skin above and below the bridge
BRIDGE_SHARE = 0.7  # of the columns across the nose that must show the dip
BRIDGE_SPREAD = 0.06  # of the eye distance: how much the dip's height may vary across the nose
SIDE_WINDOW = 0.25  # of the eye distance: how far above and below the dip its sides are looked for
LENS_INNER = 0.1  # of the eye distance from the nose's middle
LENS_OUTER_RANGE = (0.2, 0.46, 0.05)  # searched: eye distances beyond the eye's outer corner
LENS_TOP_RANGE = (0.14, 0.33, 0.02)  # searched: eye distances above the eye's middle (brows above)
LENS_ASPECT = 0.7  # a lens's height over its width, for ordinary frames


@dataclass(frozen=True)
class Lenses:
    """Where the lenses reach, in eye distances: past the eye's outer corner, above and below its middle."""

    outer: float
    top: float
    bottom: float


STANDARD_LENSES = Lenses(outer=0.3, top=0.205, bottom=0.275)  # ordinary frames, when not traced


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


def _lens_boxes(lm: np.ndarray, lenses: Lenses) -> tuple[float, float, list[tuple[np.ndarray, float, float]]]:
    """(eye distance, the nose's middle x, [(eye centre, lens centre x, lens half width)] for the
    left and the right lens)."""
    eye_l, eye_r = lm[36:42].mean(0), lm[42:48].mean(0)
    distance = float(np.hypot(*(eye_r - eye_l)))
    middle = (eye_l[0] + eye_r[0]) / 2
    boxes = []
    for eye, outer_corner, sign in ((eye_l, lm[36], -1), (eye_r, lm[45], 1)):
        inner = middle + sign * LENS_INNER * distance
        outer = outer_corner[0] + sign * lenses.outer * distance
        boxes.append((eye, (inner + outer) / 2, abs(outer - inner) / 2))
    return distance, middle, boxes


def _half_outline(lm: np.ndarray, lenses: Lenses, upper: bool, points: int = 48):
    """Points [2, N] and outward normals [2, N] of both lenses' upper or lower halves."""
    distance, middle, boxes = _lens_boxes(lm, lenses)
    angle = np.linspace(np.pi, 2 * np.pi, points) if upper else np.linspace(0, np.pi, points)
    cos, sin = np.cos(angle), np.sin(angle)
    half_height = (lenses.top if upper else lenses.bottom) * distance
    xs, ys, normals = [], [], []
    for eye, centre_x, half_width in boxes:
        dx = half_width * np.sign(cos) * np.sqrt(np.abs(cos))  # on |dx/a|^4 + |dy/b|^4 = 1
        dy = half_height * np.sign(sin) * np.sqrt(np.abs(sin))
        normal = np.stack([dx**3 / half_width**4, dy**3 / half_height**4])
        side = np.abs(centre_x + dx - middle) > LENS_INNER * distance + 2  # not along the nose
        xs.append((centre_x + dx)[side])
        ys.append((eye[1] + dy)[side])
        normals.append((normal / (np.hypot(*normal) + 1e-9))[:, side])
    return np.stack([np.concatenate(xs), np.concatenate(ys)]), np.concatenate(normals, 1)


def _outward_change(gradient: tuple[np.ndarray, np.ndarray], points: np.ndarray, normals: np.ndarray):
    """How fast lightness rises outward across an outline, at each of its points."""
    x, y = (c.astype(np.float32)[None] for c in points)
    gx, gy = (cv2.remap(g, x, y, cv2.INTER_LINEAR)[0] for g in gradient)
    return gx * normals[0] + gy * normals[1]


def fit_lenses(lightness: np.ndarray, lm: np.ndarray) -> Lenses:
    """The lenses' top and outer side traced along the frame (darker than the skin around it, so
    lightness rises outward across its edge); the bottom, often a thin or clear rim beside eye
    bags and wrinkles that edges cannot tell apart, from the lens's width in ordinary proportions."""
    smooth = cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.5)
    gradient = (cv2.Sobel(smooth, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(smooth, cv2.CV_32F, 0, 1) / 8)

    def frame_edge(lenses: Lenses) -> float:
        points, normals = _half_outline(lm, lenses, upper=True)
        return float(np.maximum(_outward_change(gradient, points, normals), 0).mean())

    candidates = [
        Lenses(outer, top, 0.0)
        for outer in np.arange(*LENS_OUTER_RANGE)
        for top in np.arange(*LENS_TOP_RANGE)
    ]
    best = max(candidates, key=frame_edge)
    distance, _, boxes = _lens_boxes(lm, best)
    width = 2 * boxes[0][2] / distance  # the lens's width in eye distances
    return Lenses(float(best.outer), float(best.top), float(LENS_ASPECT * width - best.top))


def lens_mask(shape: tuple[int, int], lm: np.ndarray, lenses: Lenses | None = None) -> np.ndarray:
    """bool [H, W]: both lenses and the bridge between them, from the landmarks."""
    lenses = lenses or STANDARD_LENSES
    distance, middle, boxes = _lens_boxes(lm, lenses)
    ys, xs = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    mask = np.zeros(shape, bool)
    for eye, centre_x, half_width in boxes:
        half_height = np.where(ys < eye[1], lenses.top, lenses.bottom) * distance
        mask |= ((xs - centre_x) / half_width) ** 4 + ((ys - eye[1]) / half_height) ** 4 <= 1
    bridge_top = (boxes[0][0][1] + boxes[1][0][1]) / 2 - 0.08 * distance
    mask |= (
        (np.abs(xs - middle) <= LENS_INNER * distance + 1)
        & (ys >= bridge_top)
        & (ys <= bridge_top + 0.1 * distance)
    )
    return mask
