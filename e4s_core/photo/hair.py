"""Where the hair is, for the landmark parser: the hair's colour (and whether a hat hides it),
where a fringe or hairline begins, and the border between hair and face skin put on the image's
edge. Maps are bool or float [512, 512]; ``face`` is the parser's ``FaceFrame``.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..regions import region_id
from .face_frame import FaceFrame
from .masks import ColourModel, grabcut, morph, smooth

MIN_HAIR_SEEDS = 200  # pixels at 512 px needed to fit the hair colour model
NO_HAIR_MODEL = 6.0  # the hair distance everywhere when no hair is found to fit it to
HAT_DISTANCE, HAT_SHARE = 5.0, 0.7  # above the head, this share this far from the side hair: a hat
MIN_SIDE_HAIR = 0.02  # square face widths of hair beside the face needed to tell a hat from hair
FOREHEAD_BAND, FOREHEAD_HALF_WIDTH = 0.12, 0.2  # where the forehead's own colour is fitted
MIN_FOREHEAD = 150  # pixels at 512 px needed to fit it
HAIR_DISTANCE_FROM_FOREHEAD = 4.0  # Mahalanobis distance beyond which a pixel is not forehead
HAIR_EDGE_BAND, HAIR_EDGE_ITERATIONS = 0.06, 3  # face widths each side of the hair's border; GrabCut
MIN_BAND = 40  # pixels at 512 px of a border worth a graph cut

HAIR, SKIN = region_id("hair"), region_id("skin")


def hair_colour(
    lab: np.ndarray,
    around: np.ndarray,
    beside: np.ndarray,
    fringe: np.ndarray,
    v: np.ndarray,
    face: FaceFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """(distance [512, 512] to the hair's colour, bool hat [512, 512]) from the person's non-skin
    pixels around the head.

    The hair's colour comes from above the head; but when the hair beside the eyes and cheeks
    (where a hat never is) has another colour than most of what is above the head, that is a
    hat: E4S labels hats as background, and the hair's colour comes from the sides. Short hair
    leaves only ears, shadows and a few strands beside the face, too little to compare with.
    Side hair is looked for only ``beside`` the face: a busy backdrop the person segmentation
    took in lies farther out, and its colours once made dark short hair a "hat".
    """
    top, sides = around & (v < face.brow_v), around & beside & (v > 0) & (v < face.nose_v)
    hat = np.zeros(around.shape, bool)
    enough_sides = sides.sum() >= max(MIN_HAIR_SEEDS, MIN_SIDE_HAIR * face.face_w**2)
    if top.sum() < MIN_HAIR_SEEDS:  # the hair on top is inside the face's outline, or cut off
        if fringe.sum() >= MIN_HAIR_SEEDS:
            return ColourModel(lab[fringe], 100.0).distance(lab), hat
        if enough_sides:
            return ColourModel(lab[sides], 100.0).distance(lab), hat
        return np.full(around.shape, NO_HAIR_MODEL, np.float32), hat
    d_hair = ColourModel(lab[top], 100.0).distance(lab)
    if enough_sides:
        d_sides = ColourModel(lab[sides], 100.0).distance(lab)
        far = top & (d_sides > HAT_DISTANCE)
        if far.sum() > HAT_SHARE * top.sum():
            hat = morph(smooth(far, 7), 2, cv2.MORPH_CLOSE) & top
            d_hair = d_sides
    return d_hair, hat


def unlike_the_forehead(lab, candidates, u, v, face: FaceFrame, d_skin, d_hair) -> np.ndarray:
    """bool [512, 512]: ``candidates`` above the brows that are not the colour of the forehead just
    above the brows, and more like the hair than like it.

    The cheeks' skin model allows for shading, so brown hair over brown skin (or dark hair over a
    dark complexion) is within its reach; the forehead's own colour, fitted where it is surely skin,
    is tighter and is lit like the rest of the forehead.
    """
    band = (v < face.brow_v) & (v > face.brow_v - FOREHEAD_BAND * face.height)
    band &= candidates & (np.abs(u) < FOREHEAD_HALF_WIDTH * face.face_w) & (d_skin < 2.5)
    if band.sum() < MIN_FOREHEAD:  # a fringe or a hat covers the forehead
        return np.zeros(candidates.shape, bool)
    d_forehead = ColourModel(lab[band], 100.0).distance(lab)
    return candidates & (v < face.brow_v) & (d_forehead > HAIR_DISTANCE_FROM_FOREHEAD) & (d_hair < d_forehead)


def refine_hair_edge(rgb: np.ndarray, labels: np.ndarray, face_width: float) -> np.ndarray:
    """``labels`` with the border between hair and face skin moved to where the image has it.

    The colour rules above decide pixel by pixel, so shaded skin beside the hair (darker than the
    cheeks' model allows) became hair, and mixed pixels along a hairline went either way. A graph
    cut (OpenCV's GrabCut: colour mixtures of the hair and of everything else, and a smoothness
    term that is cheap to cut where the image has an edge) re-decides only the pixels within
    HAIR_EDGE_BAND of that border, keeping the rest as the rules found it.
    """
    radius = max(2, int(HAIR_EDGE_BAND * face_width))
    hair, skin = labels == HAIR, labels == SKIN
    band = morph(hair, radius) & morph(skin, radius) & (hair | skin)
    if band.sum() < MIN_BAND:
        return labels
    ys, xs = np.nonzero(morph(band, 2 * radius))  # the cut sees a margin of sure pixels around it
    box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    mask = np.where(hair, cv2.GC_FGD, cv2.GC_BGD).astype(np.uint8)
    mask[band & hair], mask[band & skin] = cv2.GC_PR_FGD, cv2.GC_PR_BGD
    cut = np.ascontiguousarray(mask[box])
    grabcut(np.ascontiguousarray(rgb[box]), cut, HAIR_EDGE_ITERATIONS)
    now_hair = np.zeros_like(band)
    now_hair[box] = (cut == cv2.GC_FGD) | (cut == cv2.GC_PR_FGD)
    refined = labels.copy()
    refined[band & now_hair], refined[band & ~now_hair] = HAIR, SKIN
    return refined
