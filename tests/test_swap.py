"""The shape swap (the authors' recomposition, exactly), the texture swap, λ and hair transfer."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from e4s_core.errors import InputError
from e4s_core.swap import (
    BACKGROUND,
    BROWS,
    EARS,
    EYES,
    GLASSES,
    HAIR,
    LIP,
    MOUTH,
    NECK,
    NOSE,
    SKIN,
    recompose_masks,
    swap_amount,
    swap_textures,
    transfer_hair,
)

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden" / "swap"
CASES = sorted(p.parent for p in GOLDEN.glob("case*/meta.json")) if GOLDEN.is_dir() else []


@pytest.mark.skipif(not CASES, reason=f"swap golden reference not present at {GOLDEN}")
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_recomposition_of_the_golden_case_is_exactly_the_authors(case):
    pairs = json.loads((case / "meta.json").read_text())["pairs"]
    assert len(pairs) == 12
    for pair in pairs:
        source, target = (np.asarray(Image.open(case / pair[k])) for k in ("source", "target"))
        labels, holes = recompose_masks(source, target, pair["hair_first"])
        assert np.array_equal(labels, np.asarray(Image.open(case / pair["result"]))), pair["result"]
        assert np.array_equal(holes, np.asarray(Image.open(case / pair["holes"])) == 255), pair["holes"]


def face(size: int = 16, top: int = 4, bottom: int = 12, left: int = 4, right: int = 12) -> np.ndarray:
    """A hand-made map: skin square with a nose in it, on background."""
    labels = np.zeros((size, size), np.uint8)
    labels[top:bottom, left:right] = SKIN
    labels[(top + bottom) // 2, (left + right) // 2] = NOSE
    return labels


def test_hair_first_lets_the_source_face_cover_the_targets_hair_and_face_first_does_not():
    target = face()
    target[3:6, 3:13] = HAIR  # a fringe over the forehead
    source = face(top=3)  # the source's face reaches higher
    over, _ = recompose_masks(source, target, hair_first=True)
    under, _ = recompose_masks(source, target, hair_first=False)
    assert (over[3:6, 4:12] == SKIN).all()
    assert (under[3:6, 3:13] == HAIR).all()


def test_the_targets_glasses_stay_on_top_of_the_source_face():
    target = face()
    target[6, 5:11] = GLASSES
    labels, _ = recompose_masks(face(), target)
    assert (labels[6, 5:11] == GLASSES).all()


def test_target_face_the_source_does_not_cover_becomes_skin_marked_as_a_hole():
    target = face(left=2, right=14)  # a wider face than the source's
    labels, holes = recompose_masks(face(), target)
    assert holes[5, 2] and labels[5, 2] == SKIN
    assert not holes[5, 6] and not holes[0, 0]
    assert holes.sum() == ((target != BACKGROUND) & (face() == BACKGROUND)).sum()


def test_the_source_face_never_lands_on_the_targets_background():
    target = face(left=6, right=10)  # a narrow face
    labels, _ = recompose_masks(face(left=1, right=15), target)
    assert (labels[target == BACKGROUND] == BACKGROUND).all()


def test_the_targets_neck_and_ears_stay_unless_the_source_face_covers_them():
    target = face()
    target[12:16, 6:10] = NECK
    target[6:9, 2:4] = EARS
    labels, _ = recompose_masks(face(), target)
    assert (labels[12:16, 6:10] == NECK).all() and (labels[6:9, 2:4] == EARS).all()


def vectors(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(12, 8)).astype(np.float32)


def test_the_texture_swap_takes_the_sources_face_and_keeps_the_targets_hair_background_glasses():
    source, target = vectors(1), vectors(2)
    swapped = swap_textures(source, target)
    for region in (LIP, BROWS, EYES, NOSE, SKIN, EARS, NECK, MOUTH):
        assert np.array_equal(swapped[region], source[region])
    for region in (BACKGROUND, HAIR, GLASSES, 11):
        assert np.array_equal(swapped[region], target[region])
    assert np.array_equal(swap_textures(source, target, keep=(HAIR,))[SKIN], source[SKIN])


def test_the_authors_fallbacks_when_the_source_lacks_ears_or_an_open_mouth():
    source, target = vectors(1), vectors(2)
    source[EARS] = 0
    source[MOUTH] = 0
    swapped = swap_textures(source, target)
    assert np.allclose(swapped[EARS], target[EARS] / 2) and np.array_equal(swapped[MOUTH], target[MOUTH])
    other = swap_textures(source, target, ears_fallback="target", mouth_fallback="source")
    assert np.array_equal(other[EARS], target[EARS]) and not other[MOUTH].any()


def test_the_amount_runs_from_the_full_swap_to_the_target():
    swapped, target = vectors(1), vectors(2)
    assert np.array_equal(swap_amount(swapped, target, 0.0), swapped)
    assert np.allclose(swap_amount(swapped, target, 1.0), target)
    assert np.allclose(swap_amount(swapped, target, 0.25), 0.75 * swapped + 0.25 * target)
    for amount in (1.5, -0.1, float("nan")):
        with pytest.raises(InputError, match="between 0 and 1"):
            swap_amount(swapped, target, amount)


def test_hair_transfer_puts_the_references_hair_on_the_person_and_fills_what_it_uncovers():
    person = face()
    person[0:5, 2:14] = HAIR  # tall hair
    person[5:11, 2:4] = EARS
    reference = np.zeros_like(person)
    reference[3:5, 4:12] = HAIR  # short hair
    reference[11:16, 0:16] = HAIR  # and long hair below
    labels = transfer_hair(person, reference)
    assert (labels[3, 5:11] == HAIR).all()  # the reference's hair where it is
    assert (labels[0, 2:14] == BACKGROUND).all()  # the person's old hair top is background now
    assert labels[8, 8] == NOSE and (labels[6:10, 5:11] != HAIR).all()  # the face stays on top
    assert labels[14, 0] == HAIR  # long hair below, outside the face
