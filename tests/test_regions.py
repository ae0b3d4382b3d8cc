"""Behaviour of the E4S region table and label-map converters (e4s_core.regions)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from e4s_core import regions
from e4s_core.regions import (
    FACE_REGIONS,
    NUM_REGIONS,
    PALETTE,
    REGION_BY_NAME,
    REGIONS,
    from_bisenet,
    from_celebamask_hq,
    from_color_mask,
    region_id,
    to_color_mask,
    validate_labels,
)

# Written out from e4s-design.md section 1.2, independently of the module under test:
# (source class id, source class name, expected E4S id).
CELEBAMASK_HQ_EXPECTED = [
    (0, "bg", 0), (1, "skin", 6), (2, "nose", 5), (3, "eye_g", 10), (4, "l_eye", 3),
    (5, "r_eye", 3), (6, "l_brow", 2), (7, "r_brow", 2), (8, "l_ear", 7), (9, "r_ear", 7),
    (10, "mouth", 9), (11, "u_lip", 1), (12, "l_lip", 1), (13, "hair", 4), (14, "hat", 0),
    (15, "ear_r", 11), (16, "neck_l", 0), (17, "neck", 8), (18, "cloth", 0),
]  # fmt: skip
BISENET_EXPECTED = [
    (0, "bg", 0), (1, "skin", 6), (2, "l_brow", 2), (3, "r_brow", 2), (4, "l_eye", 3),
    (5, "r_eye", 3), (6, "eye_g", 10), (7, "l_ear", 7), (8, "r_ear", 7), (9, "ear_r", 11),
    (10, "nose", 5), (11, "mouth", 9), (12, "u_lip", 1), (13, "l_lip", 1), (14, "neck", 8),
    (15, "neck_l", 0), (16, "cloth", 0), (17, "hair", 4), (18, "hat", 0),
]  # fmt: skip
CODE_NAMES = [
    "background", "lip", "eyebrows", "eyes", "hair", "nose",
    "skin", "ears", "belowface", "mouth", "eye_glass", "ear_rings",
]  # fmt: skip


def random_labels(shape: tuple[int, int] = (37, 53), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, NUM_REGIONS, size=shape, dtype=np.uint8)


def test_table_has_12_regions_in_id_order_with_unique_names_colors_and_shortcuts():
    assert NUM_REGIONS == 12
    assert [r.id for r in REGIONS] == list(range(12))
    assert [r.name for r in REGIONS] == CODE_NAMES
    assert len({r.name for r in REGIONS}) == 12
    assert len({r.label for r in REGIONS}) == 12
    assert len({r.color for r in REGIONS}) == 12
    assert [r.shortcut for r in REGIONS] == list("1234567890-=")
    assert REGION_BY_NAME["belowface"].label == "Neck"


def test_regions_are_immutable():
    with pytest.raises(AttributeError):
        REGIONS[0].name = "sky"  # type: ignore[misc]
    with pytest.raises(ValueError):
        PALETTE[0, 0] = 1


@pytest.mark.parametrize(
    ("name", "hex_color"),
    [("lip", "#cc0000"), ("hair", "#3333ff"), ("skin", "#00ffff"), ("ear_rings", "#ffff00")],
)
def test_region_colors_match_the_fact_sheet(name, hex_color):
    rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    region = REGION_BY_NAME[name]
    assert region.color == rgb
    assert tuple(PALETTE[region.id]) == rgb
    assert PALETTE.shape == (12, 3) and PALETTE.dtype == np.uint8


def test_region_id_accepts_code_name_or_label_in_any_case():
    assert region_id("Hair") == region_id("hair") == region_id("HAIR") == 4
    assert region_id("Neck") == region_id("belowface") == 8
    assert region_id("inner mouth") == 9


def test_region_id_rejects_unknown_name_and_lists_valid_ones():
    with pytest.raises(ValueError, match="sky") as info:
        region_id("sky")
    assert "belowface" in str(info.value) and "Earrings" in str(info.value)


@pytest.mark.parametrize(
    ("convert", "expected"),
    [(from_celebamask_hq, CELEBAMASK_HQ_EXPECTED), (from_bisenet, BISENET_EXPECTED)],
    ids=["celebamask_hq", "bisenet"],
)
def test_every_source_class_maps_to_the_fact_sheet_region(convert, expected):
    source = np.array([[src for src, _, _ in expected]], dtype=np.uint8)  # [1, 19]
    out = convert(source)
    assert out.dtype == np.uint8 and out.shape == (1, 19)
    assert out[0].tolist() == [e4s for _, _, e4s in expected]


@pytest.mark.parametrize(
    ("convert", "dropped"),
    [(from_celebamask_hq, [14, 16, 18]), (from_bisenet, [18, 15, 16])],
    ids=["celebamask_hq", "bisenet"],
)
def test_hat_necklace_and_cloth_become_background(convert, dropped):
    source = np.array([dropped, dropped], dtype=np.int64)  # any integer dtype is accepted
    assert (convert(source) == 0).all()


@pytest.mark.parametrize("convert", [from_celebamask_hq, from_bisenet])
def test_source_values_beyond_18_are_rejected_with_the_bad_values(convert):
    source = np.array([[0, 1, 19], [200, 5, 19]], dtype=np.uint8)
    with pytest.raises(ValueError, match=r"19, 200"):
        convert(source)


def test_color_mask_round_trip_is_identity():
    labels = random_labels()
    colors = to_color_mask(labels)
    assert colors.shape == (*labels.shape, 3) and colors.dtype == np.uint8
    back = from_color_mask(colors)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, labels)


def test_unknown_color_raises_naming_the_pixel_count_and_color():
    colors = to_color_mask(random_labels((8, 8)))
    colors[0, :3] = (1, 2, 3)
    with pytest.raises(ValueError, match=r"3 pixels.*#010203"):
        from_color_mask(colors)


def test_nearest_maps_a_slightly_perturbed_color_mask_back_exactly():
    labels = random_labels((64, 64), seed=1)
    noise = np.random.default_rng(2).integers(-12, 13, size=(64, 64, 3))
    noisy = np.clip(to_color_mask(labels).astype(int) + noise, 0, 255).astype(np.uint8)
    with pytest.raises(ValueError):
        from_color_mask(noisy)
    np.testing.assert_array_equal(from_color_mask(noisy, nearest=True), labels)


@pytest.mark.parametrize(
    "rgb",
    [np.zeros((4, 4), dtype=np.uint8), np.zeros((4, 4, 4), dtype=np.uint8), np.zeros((4, 4, 3))],
    ids=["2d", "rgba", "float"],
)
def test_color_mask_of_wrong_shape_or_dtype_is_rejected(rgb):
    with pytest.raises(ValueError, match=r"uint8 \[H, W, 3\]"):
        from_color_mask(rgb)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([[0, 12]], dtype=np.uint8), "0..11"),
        (np.array([[0, -1]], dtype=np.int32), "0..11"),
        (np.zeros((2, 2), dtype=np.float32), "integer"),
        (np.zeros((2, 2, 1), dtype=np.uint8), "2-D"),
    ],
    ids=["too_large", "negative", "float", "3d"],
)
def test_bad_label_maps_are_rejected_with_a_clear_message(labels, message):
    with pytest.raises(ValueError, match=message):
        validate_labels(labels)
    with pytest.raises(ValueError, match=message):
        to_color_mask(labels)


def test_valid_label_map_passes_validation():
    validate_labels(random_labels())
    validate_labels(np.zeros((0, 0), dtype=np.int64))


def test_the_region_table_works_where_torch_cannot_be_imported():
    """Tools that only read or convert label maps must not need torch (a 700 MB install)."""
    script = (
        "import importlib.util, sys\n"
        "sys.modules['torch'] = None  # any import of torch now fails\n"
        f"spec = importlib.util.spec_from_file_location('regions', {regions.__file__!r})\n"
        "regions = sys.modules['regions'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(regions)\n"
        "import numpy as np\n"
        "labels = np.array([[0, 4], [6, 11]], np.uint8)\n"
        "assert (regions.from_color_mask(regions.to_color_mask(labels)) == labels).all()\n"
        "assert regions.region_id('Neck') == 8 and len(regions.FACE_REGIONS) == 9\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_face_regions_leave_hair_earrings_and_background_to_the_photo():
    kept = {REGIONS[r].name for r in range(NUM_REGIONS) if r not in FACE_REGIONS}
    assert kept == {"background", "hair", "ear_rings"}
    assert list(FACE_REGIONS) == sorted(FACE_REGIONS)  # the order of the model's vector rows
