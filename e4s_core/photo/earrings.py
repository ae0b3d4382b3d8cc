"""Earrings in an aligned face: small, contrasting pieces hanging at the ear lobes.

An earring is where the lobe is (just outside the jaw at the height of dlib's jaw points 2 and 14,
hanging up to a third of a face width below it), is neither skin, hair nor background in colour,
and stands out from what is around it: studs, pearls, hoops and drops are metal, stone or enamel
against skin, hair or a backdrop. So the pixels unlike all three colour models are grouped into
connected pieces, and a piece is an earring when it lies within a lobe's zone, is small (a stud of
a few pixels up to a large hoop) and differs clearly from the ring of pixels around it. A collar or
a patterned backdrop reaches out of the zone; hair highlights and shadowed skin are close to their
colour models or to their surroundings. The landmarks' lobe position was measured on the synthetic
corpus, whose earrings cover the zone's whole range. Within hair, whose highlights and dyed strands
also contrast, a piece must be far from the hair's colour, not merely outside it.

Thin wire hoops a pixel wide and earrings the colour of the hair or skin are not found.
"""

from __future__ import annotations

import cv2
import numpy as np

from .masks import ColourModel, morph

NOT_SKIN = 7.0  # Mahalanobis distance to the cheeks' colour model, beyond which a pixel is not skin
NOT_HAIR = 4.5  # ... to the hair's colour model
NOT_BACKGROUND = 4.0  # ... to the backdrop's colour model
ZONE_OUT, ZONE_IN = 0.2, 0.03  # face widths outward of the jaw point, and inward of it
ZONE_ABOVE, ZONE_BELOW = 0.18, 0.35  # face widths above and below the jaw point
AREA = (0.0005, 0.012)  # square face widths: a small stud at 512 px to a large hoop
IN_ZONE = 0.95  # share of a piece that must lie in a lobe's zone
CONTRAST = 20.0  # Lab distance between a piece's median colour and its surroundings'
HAIR_AROUND, HAIR_LIKE = 0.5, 12.0  # a piece mostly surrounded by hair must be this far from its colour
MIN_BACKDROP = 200  # pixels needed to fit the backdrop's colour model


def lobe_zones(u: np.ndarray, v: np.ndarray, face) -> np.ndarray:
    """bool [H, W]: where earrings hang, from the face frame's coordinates ``u``, ``v`` [H, W] of
    the parser's landmark frame ``face`` (``face_frame.FaceFrame``: landmarks ``lm``, ``u()``, ``v()``,
    ``face_w``)."""
    zone = np.zeros(u.shape, bool)
    for jaw_point in (face.lm[2], face.lm[14]):
        outward = (u - face.u(jaw_point)) * np.sign(face.u(jaw_point))
        below = v - face.v(jaw_point)
        zone |= (
            (outward > -ZONE_IN * face.face_w)
            & (outward < ZONE_OUT * face.face_w)
            & (below > -ZONE_ABOVE * face.face_w)
            & (below < ZONE_BELOW * face.face_w)
        )
    return zone


def find_earrings(
    lab: np.ndarray,
    zones: np.ndarray,
    skin_distance: np.ndarray,
    hair_distance: np.ndarray,
    features: np.ndarray,
    backdrop: np.ndarray,
    face_width: float,
) -> np.ndarray:
    """bool [H, W]: the earrings.

    ``lab`` [H, W, 3] is the crop in OpenCV Lab, ``zones`` the lobes' zones, ``*_distance`` [H, W]
    the Mahalanobis distances to the skin's and the hair's colour models, ``features`` the facial
    features' area (never an earring), ``backdrop`` the pixels surely behind the person (the
    backdrop's colour model is fitted to them).
    """
    unlike = (skin_distance > NOT_SKIN) & (hair_distance > NOT_HAIR) & ~features
    if backdrop.sum() >= MIN_BACKDROP:
        unlike &= ColourModel(lab[backdrop], 100.0).distance(lab) > NOT_BACKGROUND
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(unlike.astype(np.uint8), connectivity=8)
    earrings = np.zeros(zones.shape, bool)
    for index in range(1, count):
        area = stats[index, cv2.CC_STAT_AREA]
        if not AREA[0] <= area / face_width**2 <= AREA[1]:
            continue
        piece = pieces == index
        if (piece & zones).sum() < IN_ZONE * area:
            continue
        around = morph(piece, 3) & ~piece
        colour, surroundings = (np.median(lab[m].astype(np.float32), 0) for m in (piece, around))
        if np.linalg.norm(colour - surroundings) < CONTRAST:
            continue
        in_hair = (hair_distance[around] < NOT_HAIR).mean() > HAIR_AROUND
        if in_hair and np.median(hair_distance[piece]) < HAIR_LIKE:  # a highlight or a strand
            continue
        earrings |= piece
    return morph(earrings, 1, cv2.MORPH_CLOSE) if earrings.any() else earrings
