"""Differentiable distances between images, shared by training and photo fitting.

Images are [B, 3, H, W] in [-1, 1]; every distance is a scalar, 0 for identical inputs.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .metrics import ssim


class PixelMSE(nn.Module):
    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(generated, target)


class MultiScale(nn.Module):
    """Sum of ``term`` at full size and ``scales - 1`` halvings (the paper: 1024, 512, 256)."""

    def __init__(self, term: nn.Module, scales: int = 3):
        super().__init__()
        self.term, self.scales = term, scales

    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = generated.new_zeros(())
        for scale in range(self.scales):
            if scale:
                generated, target = F.avg_pool2d(generated, 2), F.avg_pool2d(target, 2)
            total = total + self.term(generated, target)
        return total


class SSIMDistance(nn.Module):
    """1 - SSIM: our perceptual term where LPIPS weights are not available."""

    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (1 - ssim(generated, target)).mean()
