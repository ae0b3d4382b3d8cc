"""Each training loss term on tiny tensors: zero for identical inputs, positive otherwise, gradients flow."""

import pytest
import torch

from e4s_core.image_distances import MultiScale, PixelMSE, SSIMDistance
from e4s_core.metrics import psnr, rmse, srgb_to_lab, ssim
from e4s_core.training.discriminator import Discriminator
from e4s_core.training.losses import ID_CROP, FeatureCosineDistance, NonSaturatingAdversarial
from e4s_core.training.objective import LossWeights, build_objective
from e4s_core.training.parser import CorpusParser


def _images(seed: int, size: int = 32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, size, size, generator=generator) * 2 - 1


def _parser() -> CorpusParser:
    torch.manual_seed(0)
    return CorpusParser(widths=(8, 8, 16, 16, 16)).eval().requires_grad_(False)


TERMS = {
    "mse": lambda: PixelMSE(),
    "ms-ssim": lambda: MultiScale(SSIMDistance(), scales=2),
    "identity": lambda: FeatureCosineDistance(_parser().features, crop=ID_CROP),
    "parsing": lambda: FeatureCosineDistance(_parser().features),
}


@pytest.mark.parametrize("name", TERMS)
def test_term_is_zero_for_identical_images(name):
    term = TERMS[name]()
    image = _images(1)
    assert float(term(image, image.clone())) == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("name", TERMS)
def test_term_is_positive_and_differentiable_for_different_images(name):
    term = TERMS[name]()
    generated = _images(2).requires_grad_(True)
    value = term(generated, _images(3))
    assert value.item() > 1e-3
    value.backward()
    assert generated.grad is not None and generated.grad.abs().sum() > 0


def test_adversarial_term_pushes_gradients_to_the_image_and_not_to_a_frozen_discriminator():
    torch.manual_seed(0)
    discriminator = Discriminator(input_size=16, widths=(8, 8, 8)).requires_grad_(False)
    term = NonSaturatingAdversarial(discriminator)
    generated = _images(4).requires_grad_(True)
    value = term(generated)
    value.backward()
    assert value.item() > 0 and generated.grad.abs().sum() > 0
    assert all(p.grad is None for p in discriminator.parameters())


def test_discriminator_loss_teaches_the_discriminator_to_tell_real_from_generated():
    torch.manual_seed(0)
    discriminator = Discriminator(input_size=16, widths=(8, 8, 8))
    term = NonSaturatingAdversarial(discriminator)
    generated = _images(5, size=16) * 0.3  # a fixed batch of washed-out "generated" images
    real = _images(6, size=16)
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = term.discriminator_loss(generated, real)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        assert discriminator(real).min() > discriminator(generated).max()


def test_objective_weights_each_term_and_skips_zero_weights():
    parser = _parser()
    weights = LossWeights(mse=1.0, perceptual=0.8, identity=0.1, parsing=0.0, adversarial=0.0)
    objective = build_objective(weights, parser=parser)
    generated, target = _images(7, size=64), _images(8, size=64)
    total, values = objective(generated, target)
    assert "parsing" not in values and "adversarial" not in values
    expected = values["mse"] + 0.8 * values["perceptual"] + 0.1 * values["identity"]
    assert float(total) == pytest.approx(expected, rel=1e-5)


def test_objective_refuses_a_weighted_term_without_its_network():
    with pytest.raises(ValueError, match="adversarial"):
        build_objective(LossWeights(identity=0, parsing=0))


def test_ssim_psnr_rmse_agree_with_their_definitions():
    image = _images(9, size=48)
    assert torch.allclose(ssim(image, image), torch.ones(2), atol=1e-5)
    shifted = (image + 0.2).clamp(-1, 1)
    assert torch.all(ssim(image, shifted) < 1)
    half_gray = torch.zeros(1, 3, 8, 8)
    assert float(rmse(half_gray, half_gray + 0.2)) == pytest.approx(0.1, abs=1e-6)  # [0, 1] units
    assert float(psnr(half_gray, half_gray + 0.2)) == pytest.approx(20.0, abs=1e-4)


def test_ssim_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    first, second = _images(10, size=40)[:1], _images(11, size=40)[:1]
    second = 0.7 * first + 0.3 * second
    ours = float(ssim(first, second))
    theirs = metrics.structural_similarity(
        first[0].permute(1, 2, 0).numpy(),
        second[0].permute(1, 2, 0).numpy(),
        channel_axis=2,
        data_range=2.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert ours == pytest.approx(theirs, abs=1e-4)


def test_lab_of_reference_colours():
    white = torch.ones(3, 1, 1)
    red = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    assert srgb_to_lab(white).flatten().tolist() == pytest.approx([100.0, 0.0, 0.0], abs=0.05)
    assert srgb_to_lab(red).flatten().tolist() == pytest.approx([53.24, 80.09, 67.20], abs=0.1)
