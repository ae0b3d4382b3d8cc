"""The compositor: the photo plus the model's change, only where the edit reaches; and its paste-back.

Renders here are stand-ins a model could give (the photo blurred, a region recoloured), so each
test knows exactly what changed.
"""

import cv2
import numpy as np
import pytest

from e4s_core.compositing import EDIT_SPREAD, SHAPE_REACH, Compositor, RegionLooks, region_looks
from e4s_core.errors import InputError
from e4s_core.photo.paste import paste_change
from e4s_core.regions import region_id
from e4s_core.synthetic import make_face

HAIR, SKIN, BACKGROUND = region_id("hair"), region_id("skin"), region_id("background")
SIDE, MODEL = 512, 128


@pytest.fixture(scope="module")
def face():
    """A synthetic face as the 'photo' (512 px crop, 512 px labels) and a model-like render of it."""
    synthetic = make_face(1_000_321, SIDE)
    render = cv2.resize(
        cv2.GaussianBlur(synthetic.image, (0, 0), 3), (MODEL, MODEL), interpolation=cv2.INTER_AREA
    )
    return synthetic.image, synthetic.labels, render


def recoloured(render: np.ndarray, labels: np.ndarray, region: int, rgb) -> np.ndarray:
    """The render with ``region`` painted flat ``rgb`` (labels resized to the render)."""
    small = cv2.resize(labels, render.shape[:2][::-1], interpolation=cv2.INTER_NEAREST)
    edited = render.copy()
    edited[small == region] = rgb
    return edited


def lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)


def distance_from(mask: np.ndarray) -> np.ndarray:
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)


def test_an_edit_that_changes_nothing_returns_the_photo_exactly(face):
    photo, labels, render = face
    result = Compositor(photo, labels).composite(render, render, labels, [])
    assert np.array_equal(result.crop, photo) and not result.changed.any()
    # a texture edit whose render does not change moves nothing either, outside its region
    same = Compositor(photo, labels).composite(render, render.copy(), labels, [HAIR])
    assert np.array_equal(same.crop[labels != HAIR], photo[labels != HAIR])


def test_a_texture_edit_changes_its_region_and_nothing_beyond_its_reach(face):
    photo, labels, render = face
    edited = recoloured(render, labels, HAIR, (230, 200, 120))

    result = Compositor(photo, labels).composite(render, edited, labels, [HAIR])

    far = distance_from(labels == HAIR) > EDIT_SPREAD * SIDE / 1024 + 1
    assert np.array_equal(result.crop[far], photo[far]), "pixels beyond the edit's reach must be the photo's"
    inner = cv2.erode((labels == HAIR).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    moved = np.linalg.norm(lab(result.crop)[inner] - lab(photo)[inner], axis=1)
    assert np.mean(moved > 3) > 0.9  # the whole region changed colour


def test_a_texture_edit_reaches_the_targets_colour_not_the_models(face):
    """The model's render of the reference is off; the region still lands on the reference's mean."""
    photo, labels, render = face
    compositor = Compositor(photo, labels)
    target_mean = compositor.looks.mean[HAIR] + np.float32([25, 10, -20])
    targets = RegionLooks(compositor.looks.mean.copy(), compositor.looks.detail.copy())
    targets.mean[HAIR] = target_mean
    edited = recoloured(render, labels, HAIR, (40, 160, 40))  # the model's (wrong) idea of it

    result = compositor.composite(render, edited, labels, [HAIR], targets)

    inner = cv2.erode((labels == HAIR).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    reached = lab(result.crop)[inner].mean(axis=0)
    assert np.abs(reached - target_mean).max() < 3.0


def test_a_texture_edit_keeps_the_photos_detail(face):
    photo, labels, render = face
    edited = recoloured(render, labels, HAIR, (200, 170, 110))
    result = Compositor(photo, labels).composite(render, edited, labels, [HAIR])
    inner = cv2.erode((labels == HAIR).astype(np.uint8), np.ones((13, 13), np.uint8)) > 0

    def detail(rgb):
        return cv2.Laplacian(lab(rgb)[..., 0], cv2.CV_32F)[inner].std()

    assert detail(result.crop) / detail(photo) > 0.6


def test_lightening_a_region_strengthens_its_detail_by_the_targets_spread(face):
    photo, labels, render = face
    compositor = Compositor(photo, labels)
    targets = RegionLooks(compositor.looks.mean.copy(), compositor.looks.detail.copy())
    targets.detail[HAIR] *= 2
    result = compositor.composite(render, render, labels, [HAIR], targets)
    assert region_looks(result.crop, labels).detail[HAIR] > 1.5 * compositor.looks.detail[HAIR]


def test_a_shape_edit_changes_the_painted_area_and_blends_without_a_seam(face):
    photo, labels, render = face
    painted = labels.copy()
    painted[330:400, 150:360] = HAIR  # hair painted over the lower face
    edited = recoloured(render, painted, HAIR, tuple(int(v) for v in photo[labels == HAIR].mean(axis=0)))

    result = Compositor(photo, labels).composite(render, edited, painted, [])

    area = painted != labels
    assert np.abs(result.crop[area].astype(int) - photo[area]).mean() > 10
    far = distance_from(area) > SHAPE_REACH * SIDE / 1024 + 40
    assert np.array_equal(result.crop[far], photo[far])
    # No seam: across the blend's band the output steps no more than the photo does there.
    band = (distance_from(area) > 0) & (distance_from(area) < SHAPE_REACH * SIDE / 1024 + 3)
    steps = np.abs(np.diff(lab(result.crop)[..., 0], axis=0))[band[1:]]
    photo_steps = np.abs(np.diff(lab(photo)[..., 0], axis=0))[band[1:]]
    assert np.percentile(steps, 99) < np.percentile(photo_steps, 99) + 8


def test_looks_mix_toward_another_faces_regions_by_the_amount(face):
    photo, labels, _ = face
    mine = region_looks(photo, labels)
    other = RegionLooks(mine.mean + 10, mine.detail * 3)
    half = mine.mixed(other, [HAIR], 0.5)
    assert np.allclose(half.mean[HAIR], mine.mean[HAIR] + 5) and np.isclose(
        half.detail[HAIR], 2 * mine.detail[HAIR]
    )
    assert np.array_equal(half.mean[SKIN], mine.mean[SKIN])
    assert np.array_equal(RegionLooks.from_array(half.to_array()).mean, half.mean, equal_nan=True)


def test_paste_change_adds_the_crops_change_and_leaves_every_other_pixel(face):
    photo, labels, render = face
    big = cv2.copyMakeBorder(photo, 100, 60, 80, 120, cv2.BORDER_REFLECT)  # the "photo"
    to_photo = np.array([[1.0, 0, 80], [0, 1.0, 100]])
    edited = recoloured(render, labels, HAIR, (230, 200, 120))
    result = Compositor(photo, labels).composite(render, edited, labels, [HAIR])

    pasted = paste_change(big, photo, result.crop, to_photo, result.changed)

    inside = np.s_[100 : 100 + SIDE, 80 : 80 + SIDE]
    assert np.abs(pasted[inside].astype(int) - result.crop).max() <= 1
    outside = np.ones(big.shape[:2], bool)
    outside[inside] = ~cv2.dilate(result.changed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert np.array_equal(pasted[outside], big[outside])
    assert np.array_equal(paste_change(big, photo, photo, to_photo, np.zeros_like(result.changed)), big)


@pytest.mark.parametrize("amount", [-0.1, 1.5, float("nan")])
def test_a_mix_outside_0_to_1_is_refused(face, amount):
    photo, labels, _ = face
    mine = region_looks(photo, labels)
    with pytest.raises(InputError, match="between 0 and 1"):
        mine.mixed(mine, [HAIR], amount)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda r: r.astype(np.float32), "uint8"),
        (lambda r: r[:, :-2], "uint8 \\[M, M, 3\\]"),
        (lambda r: cv2.resize(r, (64, 64)), "differ in size"),
    ],
)
def test_renders_that_are_not_square_uint8_pairs_are_refused(face, change, said):
    photo, labels, render = face
    with pytest.raises(InputError, match=said):
        Compositor(photo, labels).composite(render, change(render), labels, [HAIR])
