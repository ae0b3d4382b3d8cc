"""The terms of the E4S training objective, one module each (supplement section 2).

    L = L_mse + 0.8 L_ms-perceptual + 0.1 L_ms-id + 0.1 L_ms-parsing + 0.01 L_adv

Images are [B, 3, H, W] in [-1, 1]. Every term returns a scalar that is 0 for identical
inputs (the adversarial term aside) and lets gradients reach the generated image. Feature
networks are frozen callables ``features(images) -> list[Tensor]``: LPIPS/AlexNet and ArcFace
when the user supplies their weight files (``feature_nets.py``), otherwise the substitutes
documented in ``objective.py``. The pixel and SSIM terms, which photo fitting shares, are in
``e4s_core/image_distances.py``.
"""

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

FeatureNet = Callable[[torch.Tensor], Sequence[torch.Tensor]]


class FeatureCosineDistance(nn.Module):
    """Sum over feature levels of mean(1 - cos) between the two images' features.

    The form of the paper's ID and parsing losses: each level's features are flattened per
    image and compared by cosine. ``crop`` (top, bottom, left, right as fractions of the side)
    cuts the inner face first, as the ID loss does ([35:223, 32:220] of a 256 px face).
    """

    def __init__(self, features: FeatureNet, crop: tuple[float, float, float, float] | None = None):
        super().__init__()
        self.features = features
        self.crop = crop

    def _cut(self, images: torch.Tensor) -> torch.Tensor:
        if self.crop is None:
            return images
        side = images.shape[-1]
        top, bottom, left, right = (round(f * side) for f in self.crop)
        return images[..., top:bottom, left:right]

    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target_features = self.features(self._cut(target))
        generated_features = self.features(self._cut(generated))
        total = generated.new_zeros(())
        for fake, real in zip(generated_features, target_features, strict=True):
            cos = F.cosine_similarity(fake.flatten(1), real.flatten(1), dim=1, eps=1e-8)
            total = total + (1 - cos).mean()
        return total


class NonSaturatingAdversarial(nn.Module):
    """StyleGAN2's logistic GAN loss: softplus(-D(fake)) for G, logistic loss for D."""

    def __init__(self, discriminator: nn.Module):
        super().__init__()
        self.discriminator = discriminator

    def forward(self, generated: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        return F.softplus(-self.discriminator(generated)).mean()

    def discriminator_loss(self, generated: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return logistic_discriminator_loss(self.discriminator, generated, real)


def logistic_discriminator_loss(discriminator: nn.Module, generated: torch.Tensor, real: torch.Tensor):
    """D's side of the logistic loss; ``discriminator`` may be a DDP wrapper of the term's one."""
    fake_logits = discriminator(generated.detach())
    real_logits = discriminator(real)
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


# The paper's inner-face crop for the ID loss: rows 35..223, columns 32..220 of 256.
ID_CROP = (35 / 256, 223 / 256, 32 / 256, 220 / 256)
