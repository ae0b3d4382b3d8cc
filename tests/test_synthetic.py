"""Synthetic faces (e4s_core.synthetic): deterministic, exact labels, images painted from the labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from e4s_core.regions import NUM_REGIONS, REGIONS, region_id, validate_labels
from e4s_core.synthetic import (
    EARRINGS_PROBABILITY,
    GLASSES_PROBABILITY,
    HAIR_STYLES,
    TRAIN_SEED_LIMIT,
    draw_labels,
    make_face,
    paint_image,
    sample_attributes,
)

REGION_NAMES = [r.name for r in REGIONS]
# Regions whose pixels are the base colour x light x texture (no composite like iris or teeth).
PLAIN_REGIONS = ["skin", "nose", "belowface", "ears", "lip", "eye_glass", "ear_rings"]


@pytest.fixture(scope="module")
def small_faces():
    """1000 faces at 64 px: enough for frequencies, and every style shows up."""
    return [make_face(seed, 64) for seed in range(1000)]


def luminance(rgb) -> np.ndarray:
    return np.asarray(rgb, np.float64) @ [0.299, 0.587, 0.114]


def region_pixels(face, name: str) -> np.ndarray:
    return face.image[face.labels == region_id(name)].astype(np.float64)  # [N, 3]


def chromaticity(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, np.float64)
    return rgb / rgb.sum(axis=-1, keepdims=True)


def test_public_constants():
    assert TRAIN_SEED_LIMIT == 1_000_000
    assert len(HAIR_STYLES) == len(set(HAIR_STYLES)) == 8
    assert {"short", "long", "bob", "bangs", "curly", "bun", "receding", "none"} == set(HAIR_STYLES)
    assert (GLASSES_PROBABILITY, EARRINGS_PROBABILITY) == (0.25, 0.20)


def test_same_seed_gives_identical_face():
    a, b = make_face(1234, 128), make_face(1234, 128)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.labels.tobytes() == b.labels.tobytes()
    assert a.attributes == b.attributes
    assert repr(a.attributes) == repr(b.attributes)  # same values, same order


def test_different_seeds_give_different_faces():
    faces = [make_face(seed, 64) for seed in (0, 1, TRAIN_SEED_LIMIT)]
    for i, a in enumerate(faces):
        for b in faces[i + 1 :]:
            assert not np.array_equal(a.image, b.image)
            assert not np.array_equal(a.labels, b.labels)
            assert a.attributes != b.attributes


@pytest.mark.parametrize("size", [64, 128, 256])
def test_size_parameter_sets_the_resolution(size):
    face = make_face(7, size)
    assert face.image.shape == (size, size, 3) and face.image.dtype == np.uint8
    assert face.labels.shape == (size, size) and face.labels.dtype == np.uint8
    validate_labels(face.labels)


def test_a_seed_is_the_same_face_at_every_size():
    small, large = make_face(11, 64), make_face(11, 256)
    assert small.attributes == large.attributes
    # Nearest-neighbour downsampling of the 256 px labels agrees with the 64 px ones almost everywhere.
    agree = np.mean(large.labels[2::4, 2::4] == small.labels)
    assert agree > 0.93


def test_labels_hold_only_the_twelve_regions(small_faces):
    for face in small_faces[:200]:
        validate_labels(face.labels)
        assert face.labels.max() < NUM_REGIONS


def test_regions_present_exactly_when_the_attributes_say_so(small_faces):
    for face in small_faces:
        counts = np.bincount(face.labels.ravel(), minlength=NUM_REGIONS)
        for name in REGION_NAMES:
            present = face.attributes[name]["present"]
            assert present == (counts[region_id(name)] > 0), (face.attributes["face"], name, counts)


def test_presence_follows_the_global_choices(small_faces):
    for face in small_faces:
        a = face.attributes
        assert a["eye_glass"]["present"] == a["face"]["has_glasses"]
        assert a["ear_rings"]["present"] == a["face"]["has_earrings"]
        assert a["hair"]["present"] == (a["face"]["hair_style"] != "none")
        assert a["mouth"]["present"] == (a["lip"]["open"] > 0)
        if a["face"]["has_earrings"]:
            assert a["ears"]["present"]  # earrings hang from visible ears


def test_glasses_and_earrings_frequencies(small_faces):
    glasses = np.mean([f.attributes["face"]["has_glasses"] for f in small_faces])
    earrings = np.mean([f.attributes["face"]["has_earrings"] for f in small_faces])
    assert abs(glasses - GLASSES_PROBABILITY) < 0.05
    assert abs(earrings - EARRINGS_PROBABILITY) < 0.05


def test_every_style_occurs(small_faces):
    styles = {f.attributes["face"]["hair_style"] for f in small_faces}
    assert styles == set(HAIR_STYLES)
    glasses = {
        f.attributes["eye_glass"]["style"] for f in small_faces if f.attributes["eye_glass"]["present"]
    }
    earrings = {
        f.attributes["ear_rings"]["style"] for f in small_faces if f.attributes["ear_rings"]["present"]
    }
    assert glasses == {"round", "rect", "cat_eye"} and earrings == {"stud", "hoop", "drop"}
    assert {f.attributes["background"]["kind"] for f in small_faces} == {"flat", "gradient", "noise"}


def test_skin_tones_range_from_light_to_dark(small_faces):
    tones = luminance([f.attributes["skin"]["color"] for f in small_faces])
    assert tones.min() < 70 and tones.max() > 200
    assert np.mean(tones < 120) > 0.2 and np.mean(tones > 180) > 0.2  # both ends well represented


def test_face_is_roughly_centred():
    for seed in range(20):
        labels = make_face(seed, 128).labels
        ys, xs = np.nonzero(labels == region_id("skin"))
        assert abs(xs.mean() / 128 - 0.5) < 0.1 and abs(ys.mean() / 128 - 0.5) < 0.12


def test_region_colours_come_from_their_attributes():
    """Each plain region's mean colour is its base colour times a light/shading factor."""
    for seed in range(60):
        face = make_face(seed, 128)
        for name in PLAIN_REGIONS + ["hair"]:
            pixels = region_pixels(face, name)
            if len(pixels) < 5 or (name == "hair" and face.attributes["hair"]["root_color"] is not None):
                continue  # dyed hair with dark roots is two colours
            mean, base = pixels.mean(0), np.float64(face.attributes[name]["color"])
            scale = mean @ base / (base @ base)  # overall brightness from light and shading
            assert 0.45 < scale < 1.3, (seed, name, mean, base)
            assert np.abs(mean - scale * base).max() < 15, (seed, name, mean, base)


@pytest.fixture(scope="module")
def large_faces():
    return [make_face(seed, 256) for seed in range(30)]


def test_eyes_show_sclera_and_dark_pupils(large_faces):
    for face in large_faces:
        eyes = region_pixels(face, "eyes")
        whites = eyes[luminance(eyes) > np.percentile(luminance(eyes), 90)].mean(0)
        assert np.abs(chromaticity(whites) - chromaticity(face.attributes["eyes"]["color"])).max() < 0.05
        assert luminance(eyes).min() < 50  # pupils and lashes


def test_brows_and_neck_are_darker_than_the_face(large_faces):
    for face in large_faces:
        skin = luminance(region_pixels(face, "skin")).mean()
        assert luminance(region_pixels(face, "eyebrows")).mean() < skin
        assert luminance(region_pixels(face, "belowface")).mean() < skin


def test_open_mouths_show_teeth(large_faces):
    with_teeth = [
        f for f in large_faces if f.attributes["mouth"]["present"] and f.attributes["mouth"]["teeth"]
    ]
    assert with_teeth
    for face in with_teeth:
        teeth = luminance(face.attributes["mouth"]["teeth_color"])
        assert luminance(region_pixels(face, "mouth")).max() > 0.6 * teeth


def test_flat_backgrounds_have_their_colour(large_faces):
    flat = [f for f in large_faces if f.attributes["background"]["kind"] == "flat"]
    assert flat
    for face in flat:
        above_head = face.image[:20][face.labels[:20] == region_id("background")].astype(np.float64)
        assert np.abs(above_head.mean(0) - face.attributes["background"]["color"]).max() < 25


def test_inner_mouth_lies_between_the_lips(large_faces):
    lip, mouth = region_id("lip"), region_id("mouth")
    for face in large_faces:
        for y, x in zip(*np.nonzero(face.labels == mouth), strict=True):
            column = face.labels[:, x]
            assert (column[:y] == lip).any() and (column[y:] == lip).any()


def test_each_pixel_is_painted_from_its_own_label():
    """Relabelling pixels changes those pixels and no others: the image cannot disagree with labels."""
    attributes = sample_attributes(np.random.default_rng(5))
    labels = draw_labels(attributes, 128)
    relabelled = labels.copy()
    rng = np.random.default_rng(0)
    changed = rng.random(labels.shape) < 0.05
    relabelled[changed] = rng.choice([region_id(n) for n in ("hair", "skin", "lip", "eyes")], changed.sum())
    changed &= relabelled != labels
    before = paint_image(labels, attributes, np.random.default_rng(9))
    after = paint_image(relabelled, attributes, np.random.default_rng(9))
    differs = (before != after).any(axis=2)
    assert not differs[~changed].any()
    assert differs[changed].mean() > 0.9


def test_a_uniform_label_map_is_painted_in_that_regions_colour():
    attributes = sample_attributes(np.random.default_rng(3))
    skin = np.full((64, 64), region_id("skin"), np.uint8)
    mean = paint_image(skin, attributes, np.random.default_rng(0)).reshape(-1, 3).mean(0)
    assert np.abs(chromaticity(mean) - chromaticity(attributes["skin"]["color"])).max() < 0.03


def test_attributes_are_plain_python_values():
    """So that they can be stored next to the images (JSON) and compared exactly."""

    def leaves(value):
        if isinstance(value, dict):
            return [leaf for v in value.values() for leaf in leaves(v)]
        return [leaf for v in value for leaf in leaves(v)] if isinstance(value, list) else [value]

    for seed in range(50):
        attributes = sample_attributes(np.random.default_rng(seed))
        assert json.loads(json.dumps(attributes)) == attributes
        assert {type(leaf) for leaf in leaves(attributes)} <= {int, float, str, bool, type(None)}


def test_too_small_size_is_refused():
    with pytest.raises(ValueError, match="at least 16 px"):
        make_face(0, 8)


def test_train_and_evaluation_seeds_are_both_valid():
    for seed in (TRAIN_SEED_LIMIT - 1, TRAIN_SEED_LIMIT, 2**40):
        face = make_face(seed, 64)
        validate_labels(face.labels)
