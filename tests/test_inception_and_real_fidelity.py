"""FID's Inception-v3 (our module, standard key names) and fidelity measured on a real-layout folder."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import random_network, tiny_config
from dataset_helpers import write_face_folder

from e4s_core.checkpoint import save_model
from e4s_core.errors import CheckpointError
from e4s_core.inception import FID_CLASSES, InceptionV3, frechet_distance, load_inception

ROOT = Path(__file__).resolve().parents[1]

# torchvision's inception_v3 has 27,161,264 parameters, 3,326,696 of them in its auxiliary head
# (768->128 1x1, 128->768 5x5, 768->1000): the network without it has this many.
TORCHVISION_WITHOUT_AUX = 27_161_264 - 3_326_696
KNOWN_SHAPES = {  # from the Inception-v3 paper's tables, in torchvision's names
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Conv2d_4a_3x3.bn.running_var": (192,),
    "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
    "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
    "Mixed_7a.branch3x3_2.conv.weight": (320, 192, 3, 3),
    "Mixed_7c.branch3x3dbl_3b.conv.weight": (384, 384, 3, 1),
    "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    "fc.weight": (FID_CLASSES, 2048),
}


def _fill(network: torch.nn.Module, **extra) -> dict:
    state = {
        k: (torch.full_like(v, 0.02) if v.is_floating_point() else v) for k, v in network.state_dict().items()
    }
    return {**state, **extra}


def test_the_network_has_torchvisions_size_and_the_standard_names():
    assert sum(p.numel() for p in InceptionV3(num_classes=1000).parameters()) == TORCHVISION_WITHOUT_AUX
    state = InceptionV3().state_dict()
    for key, shape in KNOWN_SHAPES.items():
        assert tuple(state[key].shape) == shape, key


def test_a_filled_fid_file_loads_strictly_and_gives_2048_features(tmp_path):
    torch.save(_fill(InceptionV3()), tmp_path / "pt_inception.pth")
    network = load_inception(tmp_path / "pt_inception.pth")
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = network.features(images)
    assert features.shape == (2, 2048) and torch.isfinite(features).all()
    with torch.no_grad():
        assert torch.equal(features, network.features(images))


def test_torchvision_weights_load_without_their_auxiliary_head_with_a_warning(tmp_path, caplog):
    aux = {
        "AuxLogits.conv0.conv.weight": torch.zeros(128, 768, 1, 1),
        "AuxLogits.fc.weight": torch.zeros(1000, 768),
    }
    torch.save(_fill(InceptionV3(num_classes=1000), **aux), tmp_path / "inception_v3_google.pth")
    load_inception(tmp_path / "inception_v3_google.pth")
    assert "not comparable with published ones" in caplog.text


def test_a_file_missing_a_tensor_is_refused_by_name(tmp_path):
    state = _fill(InceptionV3())
    del state["Mixed_6b.branch1x1.conv.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError, match="Mixed_6b.branch1x1.conv.weight"):
        load_inception(tmp_path / "broken.pth")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="not Inception-v3"):
        load_inception(tmp_path / "other.pth")


def test_frechet_distance_matches_the_gaussian_formula():
    rng = np.random.default_rng(0)
    first = rng.normal(size=(20_000, 3))
    second = rng.normal(size=(20_000, 3)) * 2 + 1  # N(1, 4 I): |mu|^2 3, traces 3 + 12 - 2 * 6
    assert frechet_distance(first, second) == pytest.approx(6.0, abs=0.15)
    assert frechet_distance(first, first) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="two images"):
        frechet_distance(first[:1], second)


def test_fidelity_benchmark_measures_a_labelled_folder_with_fid(tmp_path):
    write_face_folder(tmp_path / "faces", 4)
    model = save_model(random_network(tiny_config()), tmp_path / "tiny.pt")
    torch.save(_fill(InceptionV3()), tmp_path / "pt_inception.pth")
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "fidelity.py"),
        "--model",
        str(model),
        "--device",
        "cpu",
    ]
    command += [
        "--dataset",
        f"folder:{tmp_path / 'faces'}",
        "--pairs",
        "2",
        "--inception",
        str(tmp_path / "pt_inception.pth"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Reconstruction, 4 faces" in result.stdout and "FID (faces vs renders)" in result.stdout
    assert "Region transfer, 2 pairs" in result.stdout and "Targets" not in result.stdout


def test_fidelity_benchmark_refuses_fid_without_real_faces(tmp_path):
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "fidelity.py"),
        "--inception",
        str(tmp_path / "x.pth"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2 and "--dataset" in result.stderr


def test_the_fid_graphs_pools_leave_padding_out_and_its_last_block_takes_a_max():
    from torch.nn import functional as F

    from e4s_core.inception import InceptionE, _avg_pool

    ones = torch.ones(1, 1, 5, 5)
    assert torch.equal(_avg_pool(ones), ones)  # counting the padding would give 4/9 in the corners
    torch.manual_seed(0)
    last, before_last = InceptionE(8, max_pool=True).eval(), InceptionE(8, max_pool=False).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        assert torch.allclose(last(x)[:, -192:], last.branch_pool(F.max_pool2d(x, 3, 1, 1)))
        assert torch.allclose(before_last(x)[:, -192:], before_last.branch_pool(_avg_pool(x)))


def test_a_file_without_batch_norm_counters_loads(tmp_path):
    state = {k: v for k, v in _fill(InceptionV3()).items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "old.pth")
    assert load_inception(tmp_path / "old.pth") is not None
