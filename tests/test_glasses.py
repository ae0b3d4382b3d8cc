"""Glasses in the landmark parser: the bridge test, and no glasses where there are none."""

import cv2
import numpy as np
import pytest
from photos import astronaut

from e4s_core.errors import E4SError
from e4s_core.photo.align import aligned_as_is
from e4s_core.photo.glasses import LENS_ASPECT, Lenses, bridge_row, fit_lenses, lens_mask
from e4s_core.photo.io import write_photo
from e4s_core.photo.parse import _prepare
from e4s_core.photo.pipeline import open_face
from e4s_core.synthetic import make_face


def _landmarks() -> np.ndarray:
    """Eyes at y 240 (x 190 and 320), the nose's top between them: enough of dlib's 68 for the test."""
    lm = np.zeros((68, 2))
    lm[36:42] = [[160, 240], [175, 232], [205, 232], [220, 240], [205, 246], [175, 246]]
    lm[42:48] = lm[36:42] + [130, 0]
    lm[27], lm[28] = [255, 240], [255, 265]
    return lm


def test_a_dark_band_across_the_nose_is_a_bridge_and_a_shadow_is_not():
    skin = np.full((512, 512), 180.0)
    bridged = skin.copy()
    bridged[236:242, 200:320] = 110  # a frame's bridge, 6 px tall
    assert abs(bridge_row(bridged, _landmarks()) - 238.5) <= 1.5
    shadow = skin.copy()
    shadow[200:300] -= np.linspace(0, 60, 100)[:, None]  # darker downward, never lighter again
    assert bridge_row(shadow, _landmarks()) is None
    assert bridge_row(skin, _landmarks()) is None
    faint = skin.copy()
    faint[236:242, 200:320] = 160  # a crease, not a frame
    assert bridge_row(faint, _landmarks()) is None


def test_the_lenses_cover_both_eyes_and_the_bridge():
    lm = _landmarks()
    mask = lens_mask((512, 512), lm)
    for point in (lm[36:48].mean(0), lm[36:42].mean(0), lm[42:48].mean(0), lm[27]):
        assert mask[int(point[1]), int(point[0])]
    assert not mask[400, 255] and not mask[150, 255]  # not the mouth, not the forehead


@pytest.mark.parametrize("drawn", [Lenses(0.35, 0.28, 0.45), Lenses(0.25, 0.18, 0.3)], ids=["large", "small"])
def test_the_lenses_top_and_outer_side_follow_a_dark_frame(drawn):
    lm = _landmarks()
    frame = lens_mask((512, 512), lm, drawn) & ~lens_mask(
        (512, 512), lm, Lenses(drawn.outer - 0.04, drawn.top - 0.04, drawn.bottom - 0.04)
    )
    lightness = np.where(frame, 60.0, 180.0)
    lightness[np.abs(np.arange(512) - 255)[None, :].repeat(512, 0) < 14] = 180.0  # no frame along the nose
    fitted = fit_lenses(lightness, lm)
    assert abs(fitted.outer - drawn.outer) <= 0.05 and abs(fitted.top - drawn.top) <= 0.02
    width = (130 / 2 - 13 + 30) / 130 + fitted.outer  # the lens's width in eye distances
    assert fitted.bottom == pytest.approx(LENS_ASPECT * width - fitted.top, abs=1e-6)


def test_no_glasses_on_faces_without_them(tmp_path):
    rgb, lm = _prepare(open_face(write_photo(astronaut(), tmp_path / "astronaut.png")).aligned)
    assert bridge_row(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 0], lm) is None
    found = {True: [], False: []}
    for seed in range(100_000, 100_040):  # held-out corpus faces: a quarter wear glasses
        face = make_face(seed, 512)
        try:
            rgb, lm = _prepare(aligned_as_is(face.image, 512))
        except E4SError:
            continue
        wears = bool((face.labels == 10).any())
        found[wears].append(bridge_row(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 0], lm) is not None)
    assert len(found[False]) >= 20 and not any(found[False])  # never on a face without them
    assert np.mean(found[True]) >= 0.5  # most of the corpus's glasses, whose bridges vary
