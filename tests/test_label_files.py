"""Label maps from files: 12-class, CelebAMask-HQ, BiSeNet and color-coded, at any size."""

import numpy as np
import pytest
from PIL import Image

from e4s_core.errors import InputError
from e4s_core.imageio import read_labels
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
