"""Label maps from files: 12-class, CelebAMask-HQ, BiSeNet and color-coded, at any size."""

import numpy as np
import pytest
from PIL import Image

from e4s_core.errors import InputError
from e4s_core.imageio import LABEL_SUFFIXES, MAX_LABEL_SIDE, read_labels, write_labels
from e4s_core.regions import to_color_mask


def save(array: np.ndarray, path):
    Image.fromarray(array).save(path)
    return path


def test_each_format_reads_as_the_12_regions_at_its_own_size(tmp_path):
    # hair (CelebAMask-HQ 13, BiSeNet 17) on the left, skin (1 in both) on the right, 300x200
    celeba = np.zeros((200, 300), np.uint8)
    celeba[:, :150], celeba[:, 150:] = 13, 1
    bisenet = np.where(celeba == 13, 17, 1).astype(np.uint8)
    expected = np.where(celeba == 13, 4, 6).astype(np.uint8)
    assert np.array_equal(read_labels(save(celeba, tmp_path / "c.png"), "celebamask-hq"), expected)
    assert np.array_equal(read_labels(save(bisenet, tmp_path / "b.png"), "bisenet"), expected)
    assert np.array_equal(read_labels(save(expected, tmp_path / "e.png"), "e4s"), expected)
    colored = save(to_color_mask(expected), tmp_path / "color.png")
    assert np.array_equal(read_labels(colored, "color"), expected)


def test_values_outside_the_format_are_refused_with_the_file_name(tmp_path):
    bad = save(np.full((20, 20), 15, np.uint8), tmp_path / "bad.png")
    with pytest.raises(InputError, match="bad.png"):
        read_labels(bad, "e4s")
    with pytest.raises(InputError, match="bad.png"):
        read_labels(save(np.full((20, 20), 40, np.uint8), tmp_path / "bad.png"), "bisenet")


def test_unknown_format_and_unreadable_file_are_clear(tmp_path):
    with pytest.raises(InputError, match="label format"):
        read_labels(tmp_path / "x.png", "sam")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="junk.png"):
        read_labels(tmp_path / "junk.png")


def test_label_maps_are_written_only_in_lossless_formats(tmp_path):
    labels = (np.arange(64 * 64).reshape(64, 64) % 12).astype(np.uint8)
    with pytest.raises(InputError, match=r"labels.jpg: a label map must be one of \.png, \.bmp, \.tif"):
        write_labels(labels, tmp_path / "labels.jpg")
    assert list(tmp_path.iterdir()) == []
    for suffix in LABEL_SUFFIXES:
        assert np.array_equal(read_labels(write_labels(labels, tmp_path / f"labels{suffix}")), labels)


LOSSY = {
    "a JPEG": ("labels.jpg", {}),
    "a lossy WebP": ("labels.webp", {"lossless": False, "quality": 95}),
    "a JPEG-compressed TIFF": ("labels.tif", {"compression": "jpeg"}),
}


@pytest.mark.parametrize("kind", LOSSY)
def test_a_lossy_label_file_is_refused_not_misread(tmp_path, kind):
    name, options = LOSSY[kind]
    labels = (np.arange(64 * 64).reshape(64, 64) % 12).astype(np.uint8)
    Image.fromarray(labels).save(tmp_path / name, **options)
    with pytest.raises(InputError, match=f"{name} is {kind}: lossy compression .* Save label maps as PNG"):
        read_labels(tmp_path / name)


def test_a_label_map_bomb_is_refused_before_it_is_decoded(tmp_path):
    """A few KB on disk that would decode to 81 MB: the size in its header is enough to refuse it."""
    Image.new("1", (9000, 9000)).save(tmp_path / "bomb.png")
    assert (tmp_path / "bomb.png").stat().st_size < 100_000
    with pytest.raises(InputError, match=f"bomb.png is 9000x9000; label maps are at most {MAX_LABEL_SIDE}"):
        read_labels(tmp_path / "bomb.png")


def test_a_folder_given_as_a_label_map_is_named(tmp_path):
    (tmp_path / "labels.png").mkdir()
    with pytest.raises(InputError, match="is a folder, not a label image"):
        read_labels(tmp_path / "labels.png")
