"""The model we ship: it loads with no path and reconstructs a held-out synthetic face."""

import torch

import e4s_core
from e4s_core import paths
from e4s_core.metrics import psnr, ssim
from e4s_core.synthetic.seeds import HELD_OUT_SEEDS
from e4s_core.training import DEFAULT_MODEL_CONFIG
from e4s_core.training.data import faces_to_batch

MAX_SHIPPED_BYTES = 40 * 1024 * 1024


def test_default_model_is_shipped_small_with_its_card():
    assert paths.DEFAULT_MODEL_FILE.is_file()
    assert paths.DEFAULT_MODEL_FILE.stat().st_size <= MAX_SHIPPED_BYTES
    assert paths.DEFAULT_MODEL_FILE.with_suffix(".md").is_file()


def test_load_model_without_a_path_gives_the_default_configuration():
    model = e4s_core.load_model(device="cpu")
    assert model.config == DEFAULT_MODEL_CONFIG
    assert model.resolution >= 256
    assert model.info.metadata.get("training_steps", 0) > 0


def test_default_model_reconstructs_a_held_out_face_far_better_than_its_mean_color():
    model = e4s_core.load_model(device="cpu")
    face = faces_to_batch([HELD_OUT_SEEDS[123_457]], model.resolution)
    with torch.inference_mode():
        result = model.render(model.style_codes(model.encode(face.images, face.labels)), face.labels)
    assert result.shape == face.images.shape and torch.isfinite(result).all()
    flat = face.images.mean((2, 3), keepdim=True).expand_as(face.images)
    assert float(psnr(result.clamp(-1, 1), face.images)) > float(psnr(flat, face.images)) + 6
    assert float(ssim(result.clamp(-1, 1), face.images)) > 0.5
