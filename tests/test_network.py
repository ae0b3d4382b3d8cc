"""The network's structure: the authors' tensors exactly, and smaller configurations."""

import json
from pathlib import Path

import pytest
import torch
from conftest import tiny_config

from e4s_core.network import RGIConfig, RGINetwork

GOLDEN_KEYS = Path(__file__).resolve().parents[1].parent / "shared" / "golden" / "keys.json"


@pytest.fixture(scope="module")
def authors_network() -> RGINetwork:
    with torch.device("meta"):  # shapes only: no memory, no time
        return RGINetwork(RGIConfig())


def test_authors_configuration_has_344_state_dict_entries(authors_network):
    state = authors_network.state_dict()
    assert len(state) == 344
    by_prefix = {p: sum(k.startswith(p + ".") for k in state) for p in ("encoder", "MLPs", "G")}
    assert by_prefix == {"encoder": 125, "MLPs": 48, "G": 171}


def test_authors_configuration_has_164_265_868_parameters(authors_network):
    def count(prefix: str) -> int:
        return sum(p.numel() for name, p in authors_network.named_parameters() if name.startswith(prefix))

    assert count("") == 164_265_868
    assert (count("encoder."), count("MLPs."), count("G.")) == (85_051_008, 48_844_800, 30_370_060)


def test_latent_avg_is_not_a_state_dict_entry_as_in_the_authors_checkpoint(authors_network):
    assert "latent_avg" not in authors_network.state_dict()
    assert tuple(authors_network.latent_avg.shape) == (18, 512)


@pytest.mark.skipif(not GOLDEN_KEYS.exists(), reason="../shared/golden/keys.json is not present")
def test_state_dict_names_and_shapes_match_the_authors_inventory(authors_network):
    inventory = {entry["key"]: tuple(entry["shape"]) for entry in json.loads(GOLDEN_KEYS.read_text())["keys"]}
    ours = {key: tuple(value.shape) for key, value in authors_network.state_dict().items()}
    assert ours == inventory


def test_w_index_table_matches_the_paper_generator(authors_network):
    G = authors_network.G
    slots = {slot.name: slot for slot in G.layer_slots()}
    assert slots["conv1"].w_index == 0 and slots["to_rgb1"].w_index == 1
    assert [slots[f"convs.{i}"].w_index for i in range(16)] == list(range(1, 17))
    assert [slots[f"to_rgbs.{i}"].w_index for i in range(8)] == [3, 5, 7, 9, 11, 13, 15, 17]
    regional = {name for name, slot in slots.items() if G.is_regional(slot)}
    expected = {"conv1", "to_rgb1"} | {f"convs.{i}" for i in range(12)} | {f"to_rgbs.{i}" for i in range(5)}
    assert regional == expected
    assert [slots[f"convs.{2 * j}"].out_size for j in range(8)] == [8, 16, 32, 64, 128, 256, 512, 1024]


def test_noise_buffers_have_the_authors_sizes(authors_network):
    sizes = [n.shape[-1] for n in authors_network.G.stored_noise()]
    assert sizes == [4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 512, 1024, 1024]


def test_blur_kernels_are_the_normalised_1331_filter():
    config = RGIConfig(out_size=8, generator_channels=(8, 8), regional_layers=3, encoder_widths=(16,) * 5)
    network = RGINetwork(config)
    kernel = network.G.convs[0].conv.blur.kernel
    row = torch.tensor([1.0, 3.0, 3.0, 1.0])
    torch.testing.assert_close(kernel, torch.outer(row, row) / 16)


def test_smaller_configuration_builds_with_consistent_sizes():
    config = RGIConfig(
        out_size=256,
        style_dim=128,
        generator_channels=(128, 128, 128, 128, 64, 32, 16),
        regional_layers=10,
        encoder_widths=(16, 32, 64, 96, 96),
        encoder_units=(1, 1, 2, 1),
    )
    network = RGINetwork(config)
    assert config.num_w_layers == 14 and config.vector_dim == 64 + 96 + 96
    assert network.MLPs[0].mlp[2].weight.shape == (128 * 10, 128)
    assert len(network.G.stored_noise()) == 13


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(out_size=100), "power of two"),
        (dict(generator_channels=(512, 512)), "one width per resolution"),
        (dict(regional_layers=19), "regional_layers"),
        (dict(encoder_widths=(64, 128)), "encoder_widths"),
    ],
)
def test_inconsistent_configuration_is_rejected_with_a_reason(overrides, message):
    with pytest.raises(ValueError, match=message):
        RGIConfig(**overrides)


def test_config_round_trips_through_a_plain_dict():
    config = RGIConfig(out_size=128, generator_channels=(64,) * 6, regional_layers=7)
    assert RGIConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown config fields"):
        RGIConfig.from_dict({**config.to_dict(), "colour": "red"})


def test_single_scale_encoder_pools_only_the_last_stage():
    config = tiny_config(pooled_stages=1)
    network = RGINetwork(config)
    assert config.vector_dim == config.encoder_widths[-1]
    image, labels = torch.rand(2, 3, 64, 64) * 2 - 1, torch.randint(0, 12, (2, 64, 64))
    assert network.encode(image, labels).shape == (2, 12, config.encoder_widths[-1])
    with pytest.raises(ValueError, match="pooled_stages"):
        tiny_config(pooled_stages=5)
