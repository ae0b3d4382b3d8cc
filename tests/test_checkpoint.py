"""Model files: good ones load exactly, every bad one fails with a CheckpointError that says why."""

import argparse
import os
import random
from pathlib import Path

import pytest
import torch
from conftest import random_network, tiny_config

from e4s_core import CheckpointError, E4SModel, InputError, ModelInfo, load_model, paths, save_model
from e4s_core import checkpoint as checkpoint_module
from e4s_core.checkpoint import convert_checkpoint
from e4s_core.imageio import labels_to_tensor
from e4s_core.synthetic_layout import ellipse_face_labels

AUTHORS_UNITS = (3, 4, 14, 3)  # the only encoder layout the authors' format describes


def _create_marker(path: str) -> None:
    Path(path).write_text("unpickling ran code")


class CodeOnUnpickle:
    """Unpickling this object would create a marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (_create_marker, (self.marker,))


def _render(model: E4SModel, seed: int = 1) -> torch.Tensor:
    """A render from fixed random vectors on a synthetic face layout: [1, 3, 64, 64]."""
    generator = torch.Generator().manual_seed(seed)
    vectors = torch.randn(1, model.config.num_regions, model.config.vector_dim, generator=generator)
    labels = labels_to_tensor(ellipse_face_labels(model.resolution))
    with torch.inference_mode():
        return model.render(model.style_codes(vectors), labels)


def _write_authors(path: Path, network, **extra) -> Path:
    """The authors' training checkpoint layout: DDP-prefixed state dict plus latent_avg."""
    state = {"module." + k: v for k, v in network.state_dict().items()}
    torch.save({"state_dict": state, "latent_avg": network.latent_avg.clone(), **extra}, path)
    return path


@pytest.fixture
def authors_network():
    return random_network(tiny_config(encoder_units=AUTHORS_UNITS))


def _assert_same_tensors(model: E4SModel, network) -> None:
    loaded = model.network.state_dict()
    original = network.state_dict()
    assert loaded.keys() == original.keys()
    assert all(torch.equal(loaded[k], original[k]) for k in original)
    assert torch.equal(model.network.latent_avg, network.latent_avg)


# -- good files ------------------------------------------------------------------------------
def test_saved_model_loads_back_identical_and_renders_the_same(tmp_path):
    network = random_network(tiny_config())
    file = save_model(network, tmp_path / "tiny.pt", metadata={"name": "tiny"})

    model = load_model(file, device="cpu")

    _assert_same_tensors(model, network)
    assert model.config == network.config
    assert model.info.name == "tiny"
    assert model.info.file_format == "e4s-studio"
    original = E4SModel(network, ModelInfo("original", "", "memory"))
    assert torch.equal(_render(model), _render(original))


def test_save_leaves_no_temp_files_behind(tmp_path):
    save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.pt"]


def test_failed_save_leaves_neither_destination_nor_temp_file(tmp_path, monkeypatch):
    def failing_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", failing_save)
    with pytest.raises(InputError, match="disk full"):
        save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    assert list(tmp_path.iterdir()) == []


def test_authors_checkpoint_loads_with_inferred_config(tmp_path, authors_network):
    file = _write_authors(tmp_path / "iteration_300000.pt", authors_network)

    model = load_model(file, device="cpu")

    original = authors_network.config
    for field in ("out_size", "regional_layers", "generator_channels", "num_regions", "style_dim"):
        assert getattr(model.config, field) == getattr(original, field), field
    assert model.info.file_format == "authors"
    _assert_same_tensors(model, authors_network)


def test_authors_checkpoint_with_training_extras_still_loads(tmp_path, authors_network):
    extras = {
        "opts": {"batch_size": 8, "lr": 1e-4, "dataset": "celebamask-hq", "flip": True},
        "state_dict_ema": {"module." + k: v for k, v in authors_network.state_dict().items()},
        "D_state_dict": {"conv.0.weight": torch.zeros(4, 3, 1, 1)},
    }
    file = _write_authors(tmp_path / "iteration_300000.pt", authors_network, **extras)

    _assert_same_tensors(load_model(file, device="cpu"), authors_network)


# -- bad files -------------------------------------------------------------------------------
def test_missing_file_is_reported_as_not_found(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing.pt", device="cpu")


def test_empty_file_is_reported_as_empty(tmp_path):
    (tmp_path / "empty.pt").touch()
    with pytest.raises(CheckpointError, match="empty"):
        load_model(tmp_path / "empty.pt", device="cpu")


def test_folder_is_reported_as_a_folder(tmp_path):
    (tmp_path / "model.pt").mkdir()
    with pytest.raises(CheckpointError, match="folder"):
        load_model(tmp_path / "model.pt", device="cpu")


@pytest.mark.parametrize(
    "content",
    [random.Random(0).randbytes(4096), b"hello, this is not a model\n"],
    ids=["random-bytes", "text"],
)
def test_garbage_file_is_reported_as_unreadable(tmp_path, content):
    (tmp_path / "garbage.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_model(tmp_path / "garbage.pt", device="cpu")


def test_truncated_file_is_reported_as_unreadable(tmp_path):
    file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="tiny.pt is not a readable PyTorch checkpoint"):
        load_model(file, device="cpu")


def test_pickled_objects_are_refused_without_running_their_code(tmp_path):
    marker = tmp_path / "marker"
    torch.save({"state_dict": {}, "opts": CodeOnUnpickle(marker)}, tmp_path / "evil.pt")

    with pytest.raises(CheckpointError, match="pickled Python objects") as raised:
        load_model(tmp_path / "evil.pt", device="cpu")

    assert "--trust-pickle" in str(raised.value)
    assert not marker.exists()


def test_missing_tensors_are_counted_and_named(tmp_path, authors_network):
    state = authors_network.state_dict()
    dropped = [k for k in state if k.startswith("G.to_rgbs.")][:5]
    assert len(dropped) == 5
    for key in dropped:
        del state[key]
    torch.save({"state_dict": state, "latent_avg": authors_network.latent_avg}, tmp_path / "partial.pt")

    with pytest.raises(CheckpointError, match="5 tensors missing") as raised:
        load_model(tmp_path / "partial.pt", device="cpu")
    assert dropped[0] in str(raised.value)


def test_wrong_tensor_shape_names_key_and_both_shapes(tmp_path):
    file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    payload = torch.load(file, weights_only=True)
    key = "G.conv1.conv.weight"
    expected = tuple(payload["state_dict"][key].shape)
    payload["state_dict"][key] = torch.zeros(3, 5)
    torch.save(payload, file)

    with pytest.raises(CheckpointError, match="has shape") as raised:
        load_model(file, device="cpu")
    message = str(raised.value)
    assert key in message and "(3, 5)" in message and str(expected) in message


def test_checkpoint_without_latent_avg_is_refused(tmp_path, authors_network):
    torch.save({"state_dict": authors_network.state_dict()}, tmp_path / "no_avg.pt")
    with pytest.raises(CheckpointError, match="latent_avg"):
        load_model(tmp_path / "no_avg.pt", device="cpu")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"encoder.input_layer.0.weight": torch.zeros(2, 2)}, "bare state dict"),
        ({"optimizer": {"lr": 0.1}, "epoch": 3}, "not an E4S model"),
        ([torch.zeros(2)], "holds a list"),
    ],
    ids=["bare-state-dict", "unrelated-dict", "list"],
)
def test_files_that_are_not_models_are_refused(tmp_path, payload, message):
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=message):
        load_model(tmp_path / "other.pt", device="cpu")


def test_newer_format_version_is_refused(tmp_path):
    file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    payload = torch.load(file, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, file)
    with pytest.raises(CheckpointError, match="version 99"):
        load_model(file, device="cpu")


def test_missing_default_model_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DEFAULT_MODEL_FILE", tmp_path / "models" / "default.pt")
    with pytest.raises(CheckpointError, match="default model"):
        load_model(None, device="cpu")


# -- conversion ------------------------------------------------------------------------------
def test_convert_rewrites_authors_checkpoint_in_our_format(tmp_path, authors_network):
    source = _write_authors(tmp_path / "iteration_300000.pt", authors_network)

    written = convert_checkpoint(source, tmp_path / "converted.pt")

    model = load_model(written, device="cpu")
    assert model.info.file_format == "e4s-studio"
    assert model.info.metadata["converted_from"] == "iteration_300000.pt"
    _assert_same_tensors(model, authors_network)


def test_convert_needs_trust_for_pickled_options(tmp_path, authors_network):
    options = argparse.Namespace(batch_size=8, dataset="celebamask-hq")
    source = _write_authors(tmp_path / "iteration_300000.pt", authors_network, opts=options)

    with pytest.raises(CheckpointError, match="pickled Python objects"):
        convert_checkpoint(source, tmp_path / "refused.pt")
    assert not (tmp_path / "refused.pt").exists()

    written = convert_checkpoint(source, tmp_path / "converted.pt", trust_pickle=True)
    _assert_same_tensors(load_model(written, device="cpu"), authors_network)


# -- precision -------------------------------------------------------------------------------
def test_bfloat16_model_renders_float32_close_to_full_precision(tmp_path):
    file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    exact = load_model(file, device="cpu")

    fast = load_model(file, device="cpu", precision="bfloat16")

    assert fast.dtype == torch.bfloat16
    image = _render(fast)
    assert image.dtype == torch.float32
    assert torch.isfinite(image).all()
    assert (image - _render(exact)).abs().max().item() < 0.15


def test_unknown_precision_is_refused(tmp_path):
    file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    with pytest.raises(CheckpointError, match="precision"):
        load_model(file, device="cpu", precision="int8")


def test_saved_model_gets_ordinary_file_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    finally:
        os.umask(previous)
    assert file.stat().st_mode & 0o777 == 0o644
