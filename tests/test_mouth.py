"""Lips and open mouths refined by colour around the lips' outlines."""

import cv2
import numpy as np

from e4s_core.errors import E4SError
from e4s_core.photo.align import aligned_as_is
from e4s_core.photo.masks import ColourModel, fill_polygons
from e4s_core.photo.mouth import lips_and_mouth
from e4s_core.photo.parse import MOUTH_OPEN_AREA, _prepare
from e4s_core.regions import region_id
from e4s_core.synthetic import make_face

LIP, MOUTH = region_id("lip"), region_id("mouth")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / max(1, (a | b).sum())


def _refined_and_polygons(seed: int):
    face = make_face(seed, 512)
    rgb, lm = _prepare(aligned_as_is(face.image, 512))
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    face_width = float(np.hypot(*(lm[16] - lm[0])))
    cheeks = fill_polygons(lab.shape[:2], lm[[1, 2, 3, 31, 29]], lm[[15, 14, 13, 35, 29]])
    skin = ColourModel(lab[cheeks]).distance(lab)
    inner = fill_polygons(lab.shape[:2], lm[60:68])
    mouth_open = inner.sum() > MOUTH_OPEN_AREA * face_width**2
    refined = lips_and_mouth(lab, lm[48:60], lm[60:68], face_width, skin, mouth_open)
    return face.labels, refined, (fill_polygons(lab.shape[:2], lm[48:60]), inner if mouth_open else None)


def test_refined_lips_and_mouths_match_the_corpus_better_than_the_landmark_polygons():
    lips = {"refined": [], "polygon": []}
    mouths = {"refined": [], "polygon": []}
    for seed in range(100_480, 100_540):  # held out: the thresholds were chosen on seeds 200,000+
        try:
            truth, refined, polygons = _refined_and_polygons(seed)
        except E4SError:
            continue
        for kind, (lip, mouth) in (("refined", refined), ("polygon", polygons)):
            lips[kind].append(_iou(lip & ~mouth if mouth is not None else lip, truth == LIP))
            if (truth == MOUTH).any() and mouth is not None:
                mouths[kind].append(_iou(mouth, truth == MOUTH))
    assert len(lips["refined"]) >= 40 and len(mouths["refined"]) >= 8
    assert np.mean(lips["refined"]) >= np.mean(lips["polygon"]) + 0.02
    assert np.mean(mouths["refined"]) >= np.mean(mouths["polygon"]) + 0.05


def test_lips_the_colour_of_the_skin_keep_the_landmark_polygon():
    lm = np.zeros((68, 2))
    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    lm[48:60] = np.stack([256 + 40 * np.cos(t), 300 + 15 * np.sin(t)], 1)
    lm[60:68] = np.stack([256 + 30 * np.cos(t[::3] * 1.5), 300 + 2 * np.sin(t[::3] * 1.5)], 1)[:8].repeat(
        2, 0
    )[:8]
    lab = np.full((512, 512, 3), (170, 145, 150), np.uint8)
    lab += np.random.default_rng(0).integers(0, 3, lab.shape, dtype=np.uint8)
    skin = ColourModel(lab[:100].reshape(-1, 3)).distance(lab)
    lips, mouth = lips_and_mouth(lab, lm[48:60], lm[60:68], 250.0, skin, mouth_open=False)
    assert mouth is None
    assert (lips == fill_polygons((512, 512), lm[48:60])).all()


def test_closed_lips_that_dlib_sees_slightly_apart_do_not_become_mouth():
    from video_helpers import talking_synthetic_frames

    closed = next(talking_synthetic_frames(12, 256))  # the first half of the clip is closed
    rgb, lm = _prepare(aligned_as_is(closed, 256))
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    inner = fill_polygons(lab.shape[:2], lm[60:68])
    skin = ColourModel(lab[fill_polygons(lab.shape[:2], lm[[1, 2, 3, 31, 29]])]).distance(lab)
    width = float(np.hypot(*(lm[16] - lm[0])))
    lips, mouth = lips_and_mouth(lab, lm[48:60], lm[60:68], width, skin, mouth_open=True)
    assert mouth is not None and not (mouth & ~inner).any()  # no lip pixel grown into the mouth
    assert lips.sum() > 3 * mouth.sum()


def test_a_second_outer_line_keeps_lip_pink_skin_out_of_the_lips():
    """Below a smiling lower lip the chin's shadow can be as pink as the lip; with the face mesh's
    outer line as a second opinion, the lips reach no farther than a couple of pixels beyond
    either outline."""
    t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    outer = np.stack([256 + 40 * np.cos(t), 300 + 12 * np.sin(t)], 1)  # [20, 2]
    inner = np.stack([256 + 30 * np.cos(t), 300 + 3 * np.sin(t)], 1)
    lab = np.full((512, 512, 3), (170, 140, 150), np.uint8)  # skin
    lips = fill_polygons((512, 512), outer) & ~fill_polygons((512, 512), inner)
    lab[lips] = (130, 165, 150)  # lip-red ring
    lab[313:318, 240:272] = (130, 165, 150)  # a lip-pink patch just under the lower lip
    lab += np.random.default_rng(0).integers(0, 3, lab.shape, dtype=np.uint8)
    skin = ColourModel(lab[:100].reshape(-1, 3)).distance(lab)
    patch = np.zeros((512, 512), bool)
    patch[315:318, 240:272] = True  # 3 px and more beyond the outline
    alone, _ = lips_and_mouth(lab, outer, inner, 250.0, skin, mouth_open=False)
    bounded, _ = lips_and_mouth(lab, outer, inner, 250.0, skin, mouth_open=False, second_outer_line=outer)
    assert alone[patch].mean() > 0.9  # within REACH of the outline, the colour alone takes it
    assert not bounded[patch].any()
    assert bounded[lips].mean() > 0.95
