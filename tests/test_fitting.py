"""Photo fitting: vectors (the paper's optimisation phase) and generator fine-tuning, and ``fit``."""

import numpy as np
import pytest
import torch
from conftest import random_model, random_network, tiny_config
from PIL import Image

from app.cli import main
from e4s_core import save_model
from e4s_core.errors import InputError
from e4s_core.fitting import finetune_generator, fit_vectors
from e4s_core.imageio import labels_to_tensor
from e4s_core.regions import FACE_REGIONS
from e4s_core.synthetic_layout import ellipse_face_labels

STEPS = 6


@pytest.fixture(scope="module")
def model():
    return random_model(tiny_config())


@pytest.fixture(scope="module")
def scene(model):
    """labels [1, 64, 64], start vectors [1, 12, V], and a target the model can reach from them."""
    labels = labels_to_tensor(ellipse_face_labels(64))
    generator = torch.Generator().manual_seed(1)
    start = torch.randn(1, 12, model.config.vector_dim, generator=generator)
    with torch.no_grad():
        moved = start + 0.5 * torch.randn(start.shape, generator=generator)
        target = model.render(model.style_codes(moved), labels)
    return labels, start, target


def face_mask(labels: torch.Tensor) -> torch.Tensor:
    return torch.isin(labels, torch.tensor(FACE_REGIONS))  # [1, 64, 64]


def test_fitting_vectors_lowers_the_loss_and_raises_face_psnr(model, scene):
    labels, start, target = scene

    result = fit_vectors(model, target, labels, vectors=start, steps=STEPS)

    assert result.steps_done == STEPS and not result.cancelled
    assert len(result.losses) == STEPS + 1
    assert result.best_loss < 0.9 * result.losses[0]
    assert result.psnr_after > result.psnr_before + 0.5
    assert result.vectors.shape == start.shape


def test_fitting_moves_only_the_face_regions_vectors(model, scene):
    labels, start, target = scene

    fitted = fit_vectors(model, target, labels, vectors=start, steps=2).vectors

    moved = (fitted - start).abs().amax(dim=2)[0] > 0  # [12]
    present = {int(r) for r in labels.unique()}
    assert {int(r) for r in torch.nonzero(moved)} == set(FACE_REGIONS) & present


def test_fitting_works_after_an_inference_mode_render_of_the_same_model(scene):
    labels, start, target = scene
    model = random_model(tiny_config())  # its own: the render fills the layers' weight caches
    with torch.inference_mode():
        model.render(model.style_codes(start), labels)

    result = fit_vectors(model, target, labels, vectors=start, steps=1)

    assert result.steps_done == 1 and not torch.equal(result.vectors, start)


def test_pixels_outside_the_face_regions_do_not_change_the_fit(model, scene):
    labels, start, target = scene
    outside = ~face_mask(labels)[:, None].expand_as(target)
    scrambled = target.clone()
    scrambled[outside] = torch.rand(int(outside.sum()), generator=torch.Generator().manual_seed(2)) * 2 - 1

    first = fit_vectors(model, target, labels, vectors=start, steps=3)
    second = fit_vectors(model, scrambled, labels, vectors=start, steps=3)

    assert first.losses == second.losses
    assert torch.equal(first.vectors, second.vectors)
    assert first.psnr_after == second.psnr_after


def test_cancel_stops_after_k_steps_with_the_best_so_far(model, scene):
    labels, start, target = scene
    calls, reported = [], []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    result = fit_vectors(
        model,
        target,
        labels,
        vectors=start,
        steps=50,
        should_stop=should_stop,
        progress=lambda step, steps, loss: reported.append((step, steps)),
    )

    assert result.cancelled and result.steps_done == 2
    assert reported == [(1, 50), (2, 50)]
    assert result.best_loss < result.losses[0]


def test_finetune_leaves_the_original_model_untouched_and_lowers_the_loss(model, scene):
    labels, start, target = scene
    before = {name: value.clone() for name, value in model.network.state_dict().items()}

    result = finetune_generator(model, target, labels, start, steps=STEPS)

    for name, value in model.network.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert result.best_loss < 0.9 * result.losses[0]
    assert result.psnr_after > result.psnr_before
    tuned = result.model.network
    assert tuned is not model.network
    assert not any(p.requires_grad for p in tuned.parameters())
    changed = {n for n, v in tuned.state_dict().items() if not torch.equal(v, before[n])}
    assert changed and all(n.startswith("G.") and not n.startswith("G.style.") for n in changed)
    assert torch.equal(result.vectors, start)


def test_image_and_labels_of_another_size_are_resized(model, scene):
    labels, start, target = scene
    big_image = target.repeat_interleave(2, 2).repeat_interleave(2, 3)  # [1, 3, 128, 128]
    big_labels = labels.repeat_interleave(2, 1).repeat_interleave(2, 2)  # [1, 128, 128]

    small = fit_vectors(model, target, labels, vectors=start, steps=0)
    big = fit_vectors(model, big_image, big_labels, vectors=start, steps=0)

    assert big.steps_done == 0 and len(big.losses) == 1
    assert big.psnr_before == pytest.approx(small.psnr_before, abs=1e-4)  # area-shrunk: the same face


def test_labels_without_face_regions_are_refused(model, scene):
    _, start, target = scene
    with pytest.raises(InputError, match="none of the face regions"):
        fit_vectors(model, target, torch.zeros(1, 64, 64, dtype=torch.long), vectors=start, steps=1)


# -- e4s-studio fit ---------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path):
    model_file = save_model(random_network(tiny_config()), tmp_path / "tiny.pt", metadata={"name": "tiny"})
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "face.png")
    Image.fromarray(ellipse_face_labels(64).astype(np.uint8)).save(tmp_path / "labels.png")
    return tmp_path / "face.png", tmp_path / "labels.png", model_file


def test_fit_command_writes_the_fitted_face_and_the_tuned_model(tmp_path, files, capsys):
    face, labels, model_file = files
    output, tuned = tmp_path / "fitted.png", tmp_path / "tuned.pt"
    argv = ["fit", str(face), str(labels), "-o", str(output), "--model", str(model_file), "--device", "cpu"]

    code = main([*argv, "--vectors-steps", "2", "--finetune-steps", "2", "--save-model", str(tuned)])

    out = capsys.readouterr().out
    assert code == 0
    assert "vectors step 2/2 | loss" in out and "ETA" in out
    assert "face PSNR" in out and "s on cpu" in out
    with Image.open(output) as image:
        assert image.size == (64, 64) and image.mode == "RGB"
    assert tuned.is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_fit_command_with_a_missing_image_is_one_line_and_exit_2(tmp_path, files, capsys):
    _, labels, model_file = files
    argv = ["fit", str(tmp_path / "missing.png"), str(labels), "-o", str(tmp_path / "out.png")]

    assert main([*argv, "--model", str(model_file), "--device", "cpu"]) == 2

    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("e4s-studio: ") and "missing.png" in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out.png").exists()
