"""Damaged model files are refused by name, and a render that comes out non-finite is an error."""

import re

import pytest
import torch
from conftest import random_model, random_network, tiny_config

from e4s_core import CheckpointError, InputError, load_model, save_model
from e4s_core.imageio import labels_to_tensor
from e4s_core.synthetic_layout import ellipse_face_labels

KEY = "G.conv1.conv.weight"


@pytest.fixture
def saved(tmp_path):
    return save_model(random_network(tiny_config()), tmp_path / "tiny.pt")


def _rewrite(file, change) -> None:
    payload = torch.load(file, weights_only=True)
    change(payload)
    torch.save(payload, file)


@pytest.mark.parametrize(
    ("value", "said"),
    [(float("nan"), "NaN or infinite"), (float("inf"), "NaN or infinite"), (3e9, "a value of 3e+09")],
)
def test_a_tensor_with_impossible_values_is_named(saved, value, said):
    _rewrite(saved, lambda payload: payload["state_dict"][KEY].view(-1).__setitem__(7, value))
    with pytest.raises(CheckpointError, match=re.escape(f"tiny.pt is damaged: tensor {KEY} holds {said}")):
        load_model(saved, device="cpu")


def test_an_authors_file_with_a_nan_tensor_is_named(tmp_path):
    network = random_network(tiny_config(encoder_units=(3, 4, 14, 3)))
    state = {"module." + k: v.clone() for k, v in network.state_dict().items()}
    state["module." + KEY].view(-1)[0] = float("nan")
    torch.save({"state_dict": state, "latent_avg": network.latent_avg.clone()}, tmp_path / "authors.pt")
    with pytest.raises(CheckpointError, match=f"tensor {KEY} holds NaN"):
        load_model(tmp_path / "authors.pt", device="cpu")


def test_plausible_damage_inside_a_tensor_fails_the_checksum(saved):
    """One flipped low mantissa bit: finite, in range, the right shape; only the checksum can tell."""
    weight = torch.load(saved, weights_only=True)["state_dict"][KEY]
    data = bytearray(saved.read_bytes())
    start = data.find(weight.numpy().tobytes()[:64])
    assert start > 0
    data[start + 40] ^= 0x01  # the lowest byte of a little-endian float32
    saved.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="tiny.pt is damaged"):
        load_model(saved, device="cpu")


def test_a_file_without_a_checksum_still_loads(saved):
    """Files written before checksums existed carry none; their values are still checked."""
    _rewrite(saved, lambda payload: payload.pop("checksum"))
    assert load_model(saved, device="cpu").config == tiny_config()


def test_a_non_finite_render_is_an_error_not_a_black_image():
    model = random_model()
    with torch.no_grad():
        model.network.state_dict()[KEY].view(-1)[0] = float("nan")  # in memory, past the load checks
    vectors = torch.randn(1, model.config.num_regions, model.config.vector_dim)
    labels = labels_to_tensor(ellipse_face_labels(model.resolution))
    with pytest.raises(CheckpointError, match="rendered NaN or infinite pixels"), torch.inference_mode():
        model.render(model.style_codes(vectors), labels)


def test_encoding_a_nan_image_is_refused():
    model = random_model()
    image = torch.zeros(1, 3, model.resolution, model.resolution)
    image[0, 1, 3, 3] = float("nan")
    labels = labels_to_tensor(ellipse_face_labels(model.resolution))
    with pytest.raises(InputError, match="NaN or infinite"):
        model.encode(image, labels)
