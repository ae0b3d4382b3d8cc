"""LPIPS and ArcFace load from files laid out like the originals and behave as loss networks.

No real weight files exist offline: the files here are written from randomly initialised
networks under the documented key names, which is what the loaders must accept.
"""

from functools import partial

import pytest
import torch

from e4s_core.errors import CheckpointError
from e4s_core.image_distances import MultiScale
from e4s_core.training import feature_nets
from e4s_core.training.feature_nets import LPIPS, ArcFace, load_arcface, load_lpips
from e4s_core.training.losses import ID_CROP, FeatureCosineDistance

TINY_STAGES = ((16, 1), (16, 1), (32, 1), (32, 1))


def _faces(seed: int, batch: int = 2, side: int = 64) -> torch.Tensor:
    return torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture(scope="module")
def lpips_files(tmp_path_factory) -> tuple:
    """torchvision- and lpips-shaped files: ``features.N.*`` (+ classifier) and ``linI.model.1.weight``."""
    torch.manual_seed(0)
    source = LPIPS()
    folder = tmp_path_factory.mktemp("lpips")
    alexnet = {f"features.{k}": v for k, v in source.trunk.state_dict().items()}
    alexnet["classifier.1.weight"] = torch.zeros(8, 16)  # torchvision's head (smaller), to be ignored
    alexnet["classifier.1.bias"] = torch.zeros(8)
    heads = {f"lin{i}.model.1.weight": getattr(source, f"lin{i}").model[1].weight.abs() for i in range(5)}
    torch.save(alexnet, folder / "alexnet-owt-7be5be79.pth")
    torch.save(heads, folder / "alex.pth")
    return folder / "alexnet-owt-7be5be79.pth", folder / "alex.pth", alexnet, heads


def test_lpips_files_use_the_documented_keys_and_load_with_classifier_ignored(lpips_files):
    alexnet_file, lpips_file, alexnet, heads = lpips_files
    assert {"features.0.weight", "features.3.weight", "features.10.bias"} <= alexnet.keys()
    assert heads["lin0.model.1.weight"].shape == (1, 64, 1, 1)
    assert heads["lin4.model.1.weight"].shape == (1, 256, 1, 1)
    network = load_lpips(alexnet_file, lpips_file)
    assert torch.equal(network.trunk[0].weight, alexnet["features.0.weight"])
    assert torch.equal(network.lin2.model[1].weight, heads["lin2.model.1.weight"])
    assert not network.training and not any(p.requires_grad for p in network.parameters())


def test_lpips_is_zero_for_identical_images_and_positive_with_gradient_otherwise(lpips_files):
    network = load_lpips(*lpips_files[:2])
    target = _faces(1)
    assert network(target, target).item() == pytest.approx(0.0, abs=1e-7)
    generated = _faces(2).requires_grad_(True)
    distance = network(generated, target)
    assert distance.ndim == 0 and distance.item() > 0
    distance.backward()
    assert generated.grad is not None and generated.grad.abs().sum() > 0
    assert [f.shape[1] for f in network.features(target)] == [64, 192, 384, 256, 256]
    assert MultiScale(network, scales=2)(generated, target).item() > distance.item()


def test_lpips_file_missing_a_head_names_the_key(lpips_files, tmp_path):
    alexnet_file, _, _, heads = lpips_files
    broken = {k: v for k, v in heads.items() if k != "lin3.model.1.weight"}
    torch.save(broken, tmp_path / "alex.pth")
    with pytest.raises(CheckpointError, match=r"alex\.pth.*lin3\.model\.1\.weight"):
        load_lpips(alexnet_file, tmp_path / "alex.pth")


def test_alexnet_file_with_a_wrong_shape_names_the_key(lpips_files, tmp_path):
    _, lpips_file, alexnet, _ = lpips_files
    torch.save({**alexnet, "features.3.weight": torch.zeros(192, 64, 3, 3)}, tmp_path / "alexnet.pth")
    with pytest.raises(CheckpointError, match=r"'features\.3\.weight' has shape \(192, 64, 3, 3\)"):
        load_lpips(tmp_path / "alexnet.pth", lpips_file)


def test_missing_or_unreadable_weight_files_are_checkpoint_errors(tmp_path, lpips_files):
    with pytest.raises(CheckpointError, match="not found"):
        load_lpips(tmp_path / "nowhere.pth", lpips_files[1])
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pth"):
        load_arcface(tmp_path / "junk.pth")


def test_full_size_arcface_has_ir_se50_keys_and_shapes():
    with torch.device("meta"):
        state = ArcFace().state_dict()
    assert state["input_layer.0.weight"].shape == (64, 3, 3, 3)
    assert state["body.0.res_layer.5.fc1.weight"].shape == (4, 64, 1, 1)
    assert state["body.23.res_layer.5.fc2.weight"].shape == (512, 32, 1, 1)
    assert state["body.3.shortcut_layer.0.weight"].shape == (128, 64, 1, 1)
    assert state["output_layer.3.weight"].shape == (512, 512 * 7 * 7)
    assert "output_layer.4.running_var" in state and "body.24.res_layer.0.weight" not in state


def test_full_size_arcface_taps_the_end_of_each_stage():
    with torch.device("meta"):
        assert ArcFace().tap_units == (2, 6, 20, 23)


@pytest.fixture()
def tiny_arcface_file(tmp_path, monkeypatch) -> tuple:
    """A small IR-SE network under the IR-SE50 key names; ``load_arcface`` builds the same one."""
    tiny = partial(ArcFace, TINY_STAGES, 16)
    monkeypatch.setattr(feature_nets, "ArcFace", tiny)
    torch.manual_seed(0)
    source = tiny()
    for module in source.modules():  # non-trivial running statistics, as in a trained file
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    state = source.state_dict()
    torch.save(state, tmp_path / "model_ir_se50.pth")
    return tmp_path / "model_ir_se50.pth", state


def test_arcface_file_round_trips_with_batchnorm_statistics(tiny_arcface_file):
    path, state = tiny_arcface_file
    assert {"input_layer.0.weight", "body.0.res_layer.5.fc1.weight", "output_layer.3.weight"} <= state.keys()
    network = load_arcface(path)
    loaded = network.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert not network.training and not any(p.requires_grad for p in network.parameters())


def test_arcface_features_are_unit_norm_and_serve_the_id_loss(tiny_arcface_file):
    network = load_arcface(tiny_arcface_file[0])
    faces = _faces(3, side=128)
    features = network.features(faces)
    assert len(features) == 5 and features[-1].shape == (2, 16)
    assert [f.shape[-1] for f in features[:4]] == [56, 28, 14, 7]
    for level in features:
        assert torch.allclose(level.flatten(1).norm(dim=1), torch.ones(2), atol=1e-5)
    identity = FeatureCosineDistance(network.features, crop=ID_CROP)
    assert identity(faces, faces).item() == pytest.approx(0.0, abs=1e-5)
    generated = _faces(4, side=128).requires_grad_(True)
    distance = identity(generated, faces)
    distance.backward()
    assert distance.item() > 0 and generated.grad.abs().sum() > 0


def test_arcface_file_missing_running_stats_names_the_key(tiny_arcface_file, tmp_path):
    _, state = tiny_arcface_file
    broken = {k: v for k, v in state.items() if k != "body.1.res_layer.4.running_var"}
    torch.save(broken, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError, match=r"broken\.pth.*body\.1\.res_layer\.4\.running_var"):
        load_arcface(tmp_path / "broken.pth")
