"""Lips and the open mouth of an aligned face, from the lips' outlines refined by colour.

dlib's lip points follow the lips' shape but often sit a few pixels off their coloured edge, and its
inner-lip points cut through the teeth of a smile (the parser takes the inner outline from the face
mesh where it has one). So each pixel around the lips is given to the closest of three colour
models, fitted to this face: the cheeks' skin, the lips (the ring between the outer and inner
outlines) and, when the mouth is open, the inside of the mouth (teeth, tongue, shadow) if its
colour is not the lips' own (dlib often finds closed lips slightly apart). The lips are the
lip-coloured pixels connected to that ring; the mouth is the inner polygon grown by the
mouth-coloured pixels connected to it. Where the lips are hardly redder than the skin (the refined
lips come out much smaller or larger than the outer polygon), the polygon is kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from .masks import ColourModel, fill_polygons, morph, smooth, touching

REACH = 0.03  # face widths around the outer lip line that may become lips
MIN_PIXELS = 20  # pixels at 512 px needed to fit a colour model
LIGHT_VAR, CHROMA_VAR = 100.0, 4.0  # extra variance of the lip and mouth models (shading, noise)
OUTLINE_MARGIN = 0.008  # face widths beyond the outer lines, with a second one, the lips may reach
KEPT_AREA = (0.5, 1.6)  # refined lips outside this share of the outer polygon: keep the polygon
MOUTH_APART = 2.5  # the inside's mean colour, in the lips' model, at least this far: an open mouth


def lips_and_mouth(
    lab: np.ndarray,
    outer_line: np.ndarray,
    inner_line: np.ndarray,
    face_width: float,
    skin_distance: np.ndarray,
    mouth_open: bool,
    second_outer_line: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(lips bool [H, W], mouth bool [H, W] or None when closed) of a crop in OpenCV Lab.

    ``outer_line`` and ``inner_line`` are the lips' outer and inner outlines [N, 2] at the crop's
    size (dlib's points 48-59 and 60-67, or the face mesh's inner outline), ``skin_distance``
    [H, W] the Mahalanobis distance to the skin's colour model. ``second_outer_line`` (the face
    mesh's) bounds the lips too: no farther than OUTLINE_MARGIN beyond one of the two outer lines.
    """
    shape = lab.shape[:2]
    outer, inner = fill_polygons(shape, outer_line), fill_polygons(shape, inner_line)
    polygon_mouth = inner if mouth_open else None
    ring = morph(outer & ~morph(inner, 1), 1, cv2.MORPH_ERODE)
    inside = morph(inner, 1, cv2.MORPH_ERODE)
    if ring.sum() < MIN_PIXELS:
        return outer, polygon_mouth
    lip_colour = ColourModel(lab[ring], LIGHT_VAR, CHROMA_VAR)
    distances = [skin_distance, lip_colour.distance(lab)]
    if mouth_open and inside.sum() >= MIN_PIXELS:
        mouth_colour = ColourModel(lab[inside], LIGHT_VAR, CHROMA_VAR)
        # Lips barely parted (or an inner line inside closed lips) show lip inside: no mouth
        # colour to grow by, or the lips would become mouth.
        if lip_colour.distance(mouth_colour.mean.astype(np.float32)) >= MOUTH_APART:
            distances.append(mouth_colour.distance(lab))
    closest = np.argmin(np.stack(distances), 0)
    around = morph(outer, max(2, int(REACH * face_width)))
    if second_outer_line is not None:  # lip-pink chin skin in a smile's shadow is not lip
        either = outer | fill_polygons(shape, second_outer_line)
        around &= morph(either, max(1, round(OUTLINE_MARGIN * face_width)))
    lips = smooth(touching(around & (closest == 1), ring))
    if not KEPT_AREA[0] * outer.sum() <= lips.sum() <= KEPT_AREA[1] * outer.sum():
        return outer, polygon_mouth
    if len(distances) < 3:
        return lips, polygon_mouth
    mouth = smooth(touching(around & (closest == 2), inside) | inner)
    return lips & ~mouth, mouth
