"""Small StyleGAN2 building blocks with equalized learning rate.

Weights are stored unscaled and multiplied by 1/sqrt(fan_in) at run time, as
in StyleGAN2; the parameter names are the ones the authors' checkpoint uses.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .ops import fused_leaky_relu, make_blur_kernel, upfirdn2d


class EqualLinear(nn.Module):
    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        fused_activation: bool = False,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.fused_activation = fused_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused_activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x**2, dim=1, keepdim=True) + 1e-8)


class ConstantInput(nn.Module):
    def __init__(self, channels: int, size: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.repeat(batch, 1, 1, 1)


class NoiseInjection(nn.Module):
    """Adds a learned scalar times a single-channel noise map (broadcast over channels)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


class Blur(nn.Module):
    """FIR low-pass after a transposed convolution; the kernel is a checkpoint buffer."""

    def __init__(self, taps, pad: tuple[int, int], upsample_factor: int = 1):
        super().__init__()
        self.register_buffer("kernel", make_blur_kernel(taps, gain=upsample_factor**2))
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """2x FIR upsampling of the RGB skip."""

    def __init__(self, taps, factor: int = 2):
        super().__init__()
        self.register_buffer("kernel", make_blur_kernel(taps, gain=factor**2))
        self.factor = factor
        surplus = len(taps) - factor
        self.pad = ((surplus + 1) // 2 + factor - 1, surplus // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)
