"""Fidelity measures: reconstruction metrics, region transfer and leakage, the benchmark script."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import random_model, random_network, tiny_config

from e4s_core import save_model
from e4s_core.fidelity import (
    MIN_TRANSFER_DISTANCE,
    reconstruction_scores,
    region_transfer,
    transfer_scores,
)
from e4s_core.metrics import psnr, rmse, ssim
from e4s_core.regions import NUM_REGIONS, region_id
from e4s_core.synthetic.seeds import HELD_OUT_SEEDS

ROOT = Path(__file__).resolve().parent.parent
SOURCE, REFERENCE = HELD_OUT_SEEDS[11], HELD_OUT_SEEDS[12]


class FlatColorModel:
    """A fake model whose vector of a region is its mean RGB and whose render paints it flat.

    A swapped region then takes the reference's colour exactly and nothing else changes, which
    pins down the transfer and leakage arithmetic. ``leak`` adds that fraction of the mean of all
    region colours to every pixel, a model whose regions bleed into each other.
    """

    resolution = 64

    def __init__(self, leak: float = 0.0):
        self.leak = leak

    def encode(self, image, labels):  # [B, 3, S, S], [B, S, S] -> [B, R, 3]
        one_hot = torch.nn.functional.one_hot(labels, NUM_REGIONS).float()  # [B, S, S, R]
        sums = torch.einsum("bchw,bhwr->brc", image, one_hot)
        return sums / one_hot.sum((1, 2)).clamp(min=1)[..., None]

    def style_codes(self, vectors):
        return vectors

    def render(self, codes, labels, noise="stored"):  # -> [B, 3, S, S]
        painted = torch.stack([codes[b][labels[b]] for b in range(len(codes))])  # [B, S, S, 3]
        painted = painted + self.leak * codes.mean(1)[:, None, None, :]
        return painted.permute(0, 3, 1, 2)


class MirrorModel:
    """A fake perfect model: the 'vectors' are the image itself."""

    resolution = 64

    def encode(self, image, labels):
        return image

    def style_codes(self, vectors):
        return vectors

    def render(self, codes, labels, noise="stored"):
        return codes


def test_identical_images_score_perfectly():
    image = torch.rand(2, 3, 32, 32) * 2 - 1

    assert torch.allclose(ssim(image, image), torch.ones(2))
    assert torch.equal(rmse(image, image), torch.zeros(2))
    assert (psnr(image, image) > 100).all()


def test_perfect_model_reconstructs_with_ssim_one_and_rmse_zero():
    scores = reconstruction_scores(MirrorModel(), [SOURCE, REFERENCE, SOURCE + 2], batch_size=2)

    summary = scores.summary()
    assert summary["faces"] == 3 and len(scores.ssim) == 3
    assert summary["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert summary["rmse"] == 0.0


def test_random_model_reconstruction_is_measured_per_face():
    scores = reconstruction_scores(random_model(tiny_config()), [SOURCE, REFERENCE, SOURCE + 2], 2)

    assert scores.ssim.shape == scores.psnr.shape == scores.rmse.shape == (3,)
    assert (scores.ssim < 0.99).all() and (scores.rmse > 0).all()
    assert scores.summary()["psnr_p5"] <= scores.summary()["psnr"]


def test_swapped_region_moves_all_the_way_and_others_stay():
    result = region_transfer(FlatColorModel(), SOURCE, REFERENCE, region_id("hair"))

    assert result.distance >= MIN_TRANSFER_DISTANCE  # these two faces' hair differs
    assert result.transfer == pytest.approx(1.0, abs=1e-6)
    assert result.leakage == pytest.approx(0.0, abs=1e-6)
    assert result.transfer_raw is not None and 0.5 < result.transfer_raw < 1.5


def test_swapping_a_face_with_itself_is_skipped_without_leakage():
    result = region_transfer(FlatColorModel(), SOURCE, SOURCE, region_id("skin"))

    assert result.skipped and result.transfer is None and result.distance == 0.0
    assert result.leakage == 0.0


def test_bleeding_model_shows_leakage():
    result = region_transfer(FlatColorModel(leak=0.5), SOURCE, REFERENCE, region_id("hair"))

    assert result.leakage > 0.5


def test_region_too_small_in_a_face_is_refused():
    with pytest.raises(ValueError, match="fewer than"):
        region_transfer(FlatColorModel(), SOURCE, REFERENCE, region_id("eye_glass"), min_pixels=10**6)


def test_transfer_scores_test_every_shared_region_and_count_skips():
    scores = transfer_scores(FlatColorModel(), [(SOURCE, REFERENCE), (SOURCE, SOURCE)], batch_size=4)

    summary, table = scores.summary(), scores.per_region()
    assert summary["pairs"] == 2
    assert summary["skipped"] >= summary["tests"] // 2  # every self-swap is skipped
    assert summary["transfer"] == pytest.approx(1.0, abs=1e-6)
    assert summary["leakage"] == pytest.approx(0.0, abs=1e-6)
    assert {"background", "skin", "hair"} <= set(table)
    assert sum(row["tests"] for row in table.values()) == summary["tests"]


def test_benchmark_runs_end_to_end_on_a_saved_model(tmp_path):
    model_file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt", {"name": "tiny"})
    output = tmp_path / "fidelity.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "fidelity.py"), "--model", str(model_file)]
    command += ["--faces", "4", "--pairs", "4", "--batch", "4", "--device", "cpu", "--json", str(output)]

    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)

    assert result.returncode == 0, result.stderr
    assert "SSIM" in result.stdout and "leakage" in result.stdout and "FAIL" in result.stdout
    written = json.loads(output.read_text())
    assert written["reconstruction"]["faces"] == 4 and written["transfer"]["pairs"] == 4


def test_benchmark_without_the_default_model_says_so(tmp_path):
    command = [sys.executable, str(ROOT / "benchmarks" / "fidelity.py"), "--faces", "1", "--pairs", "1"]
    environment = {**os.environ, "E4S_RESOURCES": str(tmp_path)}  # no models/ folder there

    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=environment)

    assert result.returncode == 2
    assert "No bundled default model" in result.stderr and "Traceback" not in result.stderr
