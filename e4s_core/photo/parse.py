"""Face parsing: an aligned face crop -> E4S label map uint8 [512, 512] (ids from ``regions``).

No face parser ships offline (offline-models.md section 5), so ``LandmarkParser`` builds the map from
dlib's 68 landmarks, two small MediaPipe models and OpenCV:

* brows and nose are polygons of dlib's points (each brow moved onto its darkest hairs); the
  eyes and the inner lips follow MediaPipe's face mesh (``mesh``; dlib's points where LiteRT is
  missing); lips and the inner mouth (only when dlib sees it open) are those outlines refined
  by colour, no farther than just beyond dlib's or the mesh's outer lip line (``mouth``);
* the face is the jaw line closed by an elliptic forehead arc; a Lab Gaussian fitted to the cheeks
  (skin), one fitted to the forehead just above the brows and one fitted to the hair (above the
  head, else the fringe, else beside the face; ``hair``) decide, pixel by pixel, where hair
  covers the forehead and temples; the geometry is ``face_frame``'s;
* MediaPipe's selfie segmentation (``person``; GrabCut seeded from the landmarks where LiteRT is
  missing) separates the person from the background; person pixels
  around the head are hair, skin-coloured ones beside the face at ear height are ears, skin-coloured
  ones below the jaw are neck, and everything else (clothes, as in the authors' label set) is
  background;
* a graph cut (GrabCut, ``hair``) moves the border between hair and face skin onto the image's
  edge, within a narrow band of where the colour rules put it;
* glasses are found by their bridge across the nose and drawn as two lenses traced along the frame
  (``glasses``); earrings are small contrasting pieces at the ear lobes (``earrings``).

Known limits: glasses without a visible bridge and earrings the colour of the hair or skin are not
found; the user paints them in the editor. Hair that is close to skin in colour (blond, grey) or
to the background in colour is where the map is least reliable; so are ears hidden by hair,
beards and strongly turned heads. A learned parser can replace this one by implementing
``FaceParser``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..files import file_sha256
from ..regions import LABEL_MAP_SIZE, region_id, validate_labels
from .align import AlignedFace
from .earrings import find_earrings, lobe_zones
from .face_frame import FOREHEAD_SCALE, FaceFrame
from .faces import choose_face, detect_faces
from .glasses import bridge_row, fit_lenses, lens_mask
from .hair import HAT_DISTANCE, hair_colour, refine_hair_edge, unlike_the_forehead
from .masks import ColourModel, fill_polygons, grabcut, morph, smooth, touching
from .mesh import EYES as EYES_IN_MESH
from .mesh import INNER_LIPS, OUTER_LIPS, face_mesh
from .mouth import lips_and_mouth
from .person import person_segmenter

GRABCUT_SIZE = 256  # GrabCut runs at this size: 4x fewer pixels, same person outline
GRABCUT_ITERATIONS = 4
MIN_ISLAND = 40  # px at 512: smaller islands of a region are merged into their neighbours
HAIR_DISTANCE = 4.5  # Mahalanobis distance to the hair colour model within which a pixel is hair
SIDE_HAIR_REACH = 0.15  # face widths from the outline: farther, the person mask has taken in background
TEMPLE_U = 0.3  # beyond this many face widths from the middle, the forehead becomes temple
DARKEST_SKIN = 50  # OpenCV 8-bit L (L* about 20): black and navy clothes are darker than a light neck
DARKEST_NECK_SHARE = 0.35  # of the cheeks' lightness: a dark complexion's shadowed neck is darker than 50
SLIVER = 0.02  # face widths: hair thinner than twice this along the jaw is the face's shaded edge
EAR_FOLD = 0.03  # face widths: the folds of an ear that are not skin-coloured are about this wide
BROW_SNAP = 0.5  # brow thicknesses a brow may move to sit on its darkest hairs
MOUTH_OPEN_AREA = 0.002  # inner-lip polygon area, in face widths squared, above which it is mouth

BACKGROUND, LIP, BROWS, EYES = (region_id(n) for n in ("background", "lip", "eyebrows", "eyes"))
HAIR, NOSE, SKIN, EARS = (region_id(n) for n in ("hair", "nose", "skin", "ears"))
NECK, MOUTH, GLASSES = region_id("belowface"), region_id("mouth"), region_id("eye_glass")
EARRINGS = region_id("ear_rings")


class FaceParser(Protocol):
    """Anything that turns an aligned face into an E4S label map."""

    name: str  # short: "landmarks", "bisenet"; a ``describe()`` method may say more

    def parse(self, aligned: AlignedFace) -> np.ndarray:
        """uint8 [512, 512] label map with values 0..11."""
        ...


def _person(rgb: np.ndarray, face: FaceFrame, outline: np.ndarray) -> np.ndarray:
    """bool [512, 512]: head, hair, neck and shoulders, connected to the face."""
    size = rgb.shape[0]
    sure = morph(fill_polygons((size, size), outline), max(2, int(0.03 * face.face_w)), cv2.MORPH_ERODE)
    segmenter = person_segmenter()
    if segmenter is not None:
        return touching(segmenter(rgb) > 0.5, sure)
    return _grabcut_person(rgb, face, sure)


def _grabcut_person(rgb: np.ndarray, face: FaceFrame, sure: np.ndarray) -> np.ndarray:
    """The person by GrabCut seeded from the landmarks (where LiteRT cannot be installed)."""
    size = rgb.shape[0]
    s = GRABCUT_SIZE / size
    small = cv2.resize(rgb, (GRABCUT_SIZE, GRABCUT_SIZE), interpolation=cv2.INTER_AREA)
    mask = np.full((GRABCUT_SIZE, GRABCUT_SIZE), cv2.GC_PR_BGD, np.uint8)
    w, h, t = face.face_w, face.height, np.linspace(0, 2 * np.pi, 48)
    # Probably person: an ellipse around head and hair, and the neck and shoulders below the chin.
    head = face.point(0.75 * w * np.cos(t), 0.4 * face.nose_v + 0.95 * h * np.sin(t))
    neck = face.point([-0.3 * w, 0.3 * w, 0.3 * w, -0.3 * w], [face.chin_v - 0.2 * h] * 2 + [9e3] * 2)
    cv2.fillPoly(mask, [np.round(p * s).astype(np.int32) for p in (head, neck)], cv2.GC_PR_FGD)
    band = max(2, GRABCUT_SIZE // 64)  # surely background: the border, except where the neck leaves
    border = np.ones_like(mask, bool)
    border[band:-band, band:-band] = False
    border[-band:] &= ~morph(mask == cv2.GC_PR_FGD, 2 * band)[-band:]
    mask[border] = cv2.GC_BGD
    sure_small = cv2.resize(sure.astype(np.uint8), mask.shape[::-1], interpolation=cv2.INTER_NEAREST)
    mask[sure_small > 0] = cv2.GC_FGD
    grabcut(small, mask, GRABCUT_ITERATIONS)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    fg = cv2.resize(fg, (size, size), interpolation=cv2.INTER_LINEAR) > 0.5
    return touching(fg, sure)


def _prepare(aligned: AlignedFace) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 [512, 512, 3], landmarks [68, 2] at 512 px) of an aligned face of any size."""
    image = np.ascontiguousarray(aligned.image)
    landmarks = aligned.landmarks
    if landmarks is None:  # a crop taken as is: find the face in it
        landmarks = choose_face(detect_faces(image), 0, image.shape, "the aligned face").landmarks
    scale = LABEL_MAP_SIZE / image.shape[1]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    rgb = cv2.resize(image, (LABEL_MAP_SIZE, LABEL_MAP_SIZE), interpolation=interpolation)
    return rgb, np.asarray(landmarks, np.float64) * scale


class LandmarkParser:
    """The default parser: landmark polygons + GrabCut + skin/hair colour models (module docstring)."""

    name = "landmarks"

    def describe(self) -> str:
        person = "selfie segmentation" if person_segmenter() is not None else "GrabCut"
        return f"landmarks ({person})"

    def parse(self, aligned: AlignedFace) -> np.ndarray:
        rgb, lm = _prepare(aligned)  # [512, 512, 3], [68, 2]
        face, shape = FaceFrame(lm), rgb.shape[:2]
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        ys, xs = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
        u, v = face.u(np.stack([xs, ys], -1)), face.v(np.stack([xs, ys], -1))  # [512, 512] each
        outline = face.outline(FOREHEAD_SCALE)
        inside = fill_polygons(shape, outline)
        person = _person(rgb, face, outline)
        near = morph(inside, int(0.03 * face.face_w))  # the jaw landmarks may sit this far inside

        cheeks = np.zeros(shape, bool)
        for a, b in ((2, 31), (14, 35)):
            centre = (lm[a] + lm[b]) / 2
            cheeks |= np.hypot(xs - centre[0], ys - centre[1]) < 0.1 * face.eye_dist
        cheeks = cheeks if cheeks.sum() > 20 else inside  # landmarks far off: use the whole face
        d_skin = ColourModel(lab[cheeks]).distance(lab)
        # The neck is shadowed and often less red than the cheeks: a much looser skin model.
        d_neck = ColourModel(lab[cheeks], light_var=3000.0, chroma_var=16.0).distance(lab)
        core = morph(fill_polygons(shape, cv2.convexHull(lm[17:68].astype(np.float32))[:, 0]), 3)
        fringe = inside & ~core & (d_skin > 4) & (v < face.brow_v)
        beside = morph(inside, int(SIDE_HAIR_REACH * face.face_w))
        d_hair, hat = hair_colour(lab, person & ~morph(inside, 4) & (d_skin > 4), beside, fringe, v, face)
        skinlike = (d_skin < 3) | ((d_skin < 6) & (d_skin < d_hair))

        jaw = lm[2:15]
        below = (
            fill_polygons(shape, np.concatenate([jaw, face.point(face.u(jaw[[-1, 0]]) * 1.05, 9e3)]))
            & ~inside
        )
        margin = 0.03 * face.face_w
        below &= (u > face.u(lm[4]) - margin) & (u < face.u(lm[12]) + margin)
        # Under the chin: shadowed skin, still skin's hue (a dark collar is not).
        shadow = (lab[..., 0] < 80) & (v < face.chin_v + 0.12 * face.height) & (d_neck < 8)
        lit = lab[..., 0] > min(DARKEST_SKIN, DARKEST_NECK_SHARE * float(np.median(lab[..., 0][cheeks])))
        neck = smooth(touching(person & below & lit & ((d_neck < 4) | shadow), near), 7)

        ears = np.zeros(shape, bool)
        for side in (lm[0], lm[16]):
            centre_u = face.u(side) + np.sign(face.u(side)) * 0.05 * face.face_w
            zone = np.hypot((u - centre_u) / 0.1, (v - face.nose_v / 2) / 0.22) < face.face_w
            zone &= person & ~inside
            # an ear's folds are shadowed or redder than the cheeks: close over them, as wide as they are
            skin_coloured = touching(zone & (d_skin < 5), near)
            ears |= zone & morph(skin_coloured, max(4, int(EAR_FOLD * face.face_w)), cv2.MORPH_CLOSE)
        ears = smooth(ears)

        outer = person & ~inside & ~ears & ~neck & ~hat
        # Face skin just outside the jaw line, and a high forehead or bald scalp above the arc.
        skin_edge = outer & near & skinlike & (v < face.chin_v)
        skin_edge |= outer & morph(inside, int(0.15 * face.face_w)) & (d_skin < 2.5) & (d_skin < d_hair)
        skin_edge = touching(skin_edge & (v < face.chin_v), inside)
        # Clothes: not hair-coloured and reaching the photo's bottom edge (the person segmentation
        # covers collars and shoulders); everything else of the person around the head is hair.
        bottom = np.zeros(shape, bool)
        bottom[-2:] = True
        clothes = touching(outer & (d_hair > HAIR_DISTANCE) & (v > face.brow_v), bottom)
        hair_out = outer & ~skin_edge & ~clothes & (v < face.chin_v)
        hair_out |= touching(hair_out | (outer & (d_hair < 3)), hair_out)  # long hair below the chin
        inner_hair = (
            inside & ~core & ~skinlike & (d_skin > 4) & (d_hair < d_skin) & (v < face.nose_v)
        )  # fringe, temples
        inner_hair |= unlike_the_forehead(lab, inside & ~core, u, v, face, d_skin, d_hair)
        if hat.any():  # under a hat brim the forehead is skin; what is not skin there is the hat
            hat |= inside & ~core & (v < face.brow_v) & (d_hair > HAT_DISTANCE) & (d_skin > 4)
            hat = morph(hat, 3, cv2.MORPH_CLOSE) & (v < face.brow_v) & ~core  # seal the outline's seam
            inner_hair &= ~hat & (np.abs(u) > TEMPLE_U * face.face_w)
        hair = smooth(hair_out | touching(inner_hair | hair_out, hair_out))
        # The person mask reaches a few pixels past dlib's jaw line; that shaded edge of the face is
        # too dark to be skin-like but is no hair: below the eyes, hair that thin along the jaw goes.
        r = max(1, int(SLIVER * face.face_w))
        hair &= ~(hair & ~morph(morph(hair, r, cv2.MORPH_ERODE), r + 1) & near & (v > 0))
        if hat.any():  # under a hat hair shows beside the face: pieces wholly up in it are its trim
            hair = touching(hair & ~hat, v > face.brow_v)
        backdrop = ~morph(person, 10) & (v < face.chin_v)
        earrings = find_earrings(lab, lobe_zones(u, v, face), d_skin, d_hair, core, backdrop, face.face_w)

        labels = np.zeros(shape, np.uint8)  # [512, 512]; fill order matters, later overwrites earlier
        labels[neck] = NECK
        labels[ears] = EARS
        labels[hair] = HAIR
        # Skin is what of the face is connected to its middle (not, say, a hat badge in the outline).
        labels[touching((inside | skin_edge) & ~hair & ~hat, core)] = SKIN
        labels[hat] = BACKGROUND  # as E4S labels hats
        labels[earrings] = EARRINGS
        labels[fill_polygons(shape, face.nose())] = NOSE
        if bridge_row(lab[..., 0], lm) is not None:  # over the nose, under the eyes: CelebAMask-HQ's order
            labels[lens_mask(shape, lm, fit_lenses(lab[..., 0], lm)) & (person | inside)] = GLASSES
        mesh = face_mesh()
        points = mesh(rgb, lm) if mesh is not None else None  # [468, 2] or None
        if points is not None:
            labels[morph(fill_polygons(shape, *(points[list(eye)] for eye in EYES_IN_MESH)), 1)] = EYES
        else:  # dlib's six corners cut the lids' curves: grown to make up for it
            labels[morph(fill_polygons(shape, lm[36:42], lm[42:48]), 2)] = EYES
        brows = _snap_brows(lab[..., 0], face, labels == GLASSES)
        labels[fill_polygons(shape, *brows)] = BROWS
        # Open or closed by dlib: the mesh's inner outline parts a little even on closed lips.
        mouth_open = fill_polygons(shape, lm[60:68]).sum() > MOUTH_OPEN_AREA * face.face_w**2
        inner_line = points[list(INNER_LIPS)] if points is not None else lm[60:68]
        mesh_outer = points[list(OUTER_LIPS)] if points is not None else None
        lips, mouth = lips_and_mouth(lab, lm[48:60], inner_line, face.face_w, d_skin, mouth_open, mesh_outer)
        labels[lips] = LIP
        if mouth is not None:
            labels[mouth] = MOUTH
        return _merge_islands(refine_hair_edge(rgb, labels, face.face_w), MIN_ISLAND)


def _snap_brows(lightness: np.ndarray, face: FaceFrame, avoid: np.ndarray) -> list[np.ndarray]:
    """The two brow polygons, each moved up or down (by at most BROW_SNAP of its thickness) to
    where it is darkest: dlib's brow points wander a few pixels off the hairs. A position that
    would cover ``avoid`` (the eyes, a glasses frame, darker than any brow) is not taken."""
    blurred = cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.0)
    snapped = []
    for polygon in face.brows():
        best, darkest = polygon, np.inf
        for step in np.linspace(-BROW_SNAP, BROW_SNAP, 13):  # twelfths of the thickness
            moved = polygon + face.up * (step * face.brow_thickness)
            inside = fill_polygons(lightness.shape, moved)
            if inside.sum() >= MIN_ISLAND and not (inside & avoid).any() and blurred[inside].mean() < darkest:
                best, darkest = moved, blurred[inside].mean()
        snapped.append(best)
    return snapped


def _merge_islands(labels: np.ndarray, min_area: int) -> np.ndarray:
    """Give connected pieces smaller than ``min_area`` the label of the nearest other pixels."""
    unknown = np.zeros(labels.shape, bool)
    for value in (BACKGROUND, HAIR, SKIN, EARS, NECK):
        count, pieces, stats, _ = cv2.connectedComponentsWithStats((labels == value).astype(np.uint8), 4)
        small = stats[:, cv2.CC_STAT_AREA] < min_area
        small[0] = False
        unknown |= small[pieces]
    if not unknown.any():
        return labels
    # distanceTransformWithLabels numbers the known (zero) pixels; map each number to its label.
    _, nearest = cv2.distanceTransformWithLabels(
        unknown.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    lut = np.zeros(nearest.max() + 1, np.uint8)
    lut[nearest[~unknown]] = labels[~unknown]
    return lut[nearest]


BUILT_IN_PARSER = "landmarks"


def built_in_parser_fingerprint() -> str:
    """12 hex digits of the built-in parser's code and model files (all of ``e4s_core.photo``,
    and the MediaPipe models): labels cached by one version are not taken for another's."""
    from .. import paths

    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(folder.glob("*.py")), paths.PERSON_SEGMENTATION_FILE, paths.FACE_MESH_FILE]:
        digest.update(path.name.encode())
        digest.update(file_sha256(path).encode() if path.is_file() else b"missing")
    return digest.hexdigest()[:12]


def describe_parser(parser: FaceParser) -> str:
    """What the user sees and projects record, e.g. "BiSeNet (79999_iter.pth)"."""
    describe = getattr(parser, "describe", None)
    return describe() if callable(describe) else parser.name


def load_parser(choice: str | os.PathLike | None = None) -> FaceParser:
    """The parser ``choice`` names: "landmarks" (or None) for the built-in one, else a BiSeNet
    weight file such as the authors' ``79999_iter.pth``."""
    if choice is None or str(choice) == BUILT_IN_PARSER:
        return LandmarkParser()
    from .bisenet import load_bisenet

    return load_bisenet(choice)


def parse_face(aligned: AlignedFace, parser: FaceParser | None = None) -> np.ndarray:
    """E4S label map uint8 [512, 512] of an aligned face (``LandmarkParser`` unless told)."""
    parser = parser or LandmarkParser()
    labels = np.asarray(parser.parse(aligned))
    validate_labels(labels)
    if labels.shape != (LABEL_MAP_SIZE, LABEL_MAP_SIZE):
        raise ValueError(
            f"Parser {parser.name!r} gave a {labels.shape} map, not [{LABEL_MAP_SIZE}, {LABEL_MAP_SIZE}]"
        )
    return labels.astype(np.uint8, copy=False)
