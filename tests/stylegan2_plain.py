"""A plain StyleGAN2 generator with rosinality's module layout, for writing ``--init stylegan2:`` files.

Written from the StyleGAN2 architecture as rosinality's stylegan2-pytorch names it (mapping
``style`` = PixelNorm + EqualLinear layers, ``input``, ``conv1``, ``to_rgb1``, ``convs``,
``to_rgbs``, ``noises``), independently of our region-modulated generator, so a test that loads
its ``state_dict`` into ours checks the key mapping rather than comparing a module with itself.
It holds parameters only: the tests need its file, not its images.
"""

import math

import torch
from torch import nn


def _blur_kernel(factor: int = 1) -> torch.Tensor:
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    kernel = taps[None, :] * taps[:, None]
    return kernel / kernel.sum() * factor**2


class EqualLinear(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim))
        self.bias = nn.Parameter(torch.full((out_dim,), bias_init))


class PixelNorm(nn.Module):
    pass


class Blur(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.register_buffer("kernel", _blur_kernel(factor))


class ModulatedConv2d(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel, kernel))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1.0)
        if upsample:
            self.blur = Blur(factor=2)


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))


class StyledConv(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, style_dim, upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)


class Upsample(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("kernel", _blur_kernel(factor=2))


class ToRGB(nn.Module):
    def __init__(self, in_ch: int, style_dim: int, upsample: bool = True):
        super().__init__()
        if upsample:
            self.upsample = Upsample()
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))


class ConstantInput(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, 4, 4))


class PlainStyleGAN2(nn.Module):
    """``channels``: widths at 4, 8, ..., size px."""

    def __init__(self, size: int, style_dim: int, n_mlp: int, channels: tuple[int, ...]):
        super().__init__()
        self.style = nn.Sequential(PixelNorm(), *(EqualLinear(style_dim, style_dim) for _ in range(n_mlp)))
        self.input = ConstantInput(channels[0])
        self.conv1 = StyledConv(channels[0], channels[0], style_dim)
        self.to_rgb1 = ToRGB(channels[0], style_dim, upsample=False)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.noises = nn.Module()
        log_size = int(math.log2(size))
        for layer in range((log_size - 2) * 2 + 1):
            resolution = 2 ** ((layer + 5) // 2)
            self.noises.register_buffer(f"noise_{layer}", torch.randn(1, 1, resolution, resolution))
        in_ch = channels[0]
        for out_ch in channels[1:]:
            self.convs.append(StyledConv(in_ch, out_ch, style_dim, upsample=True))
            self.convs.append(StyledConv(out_ch, out_ch, style_dim))
            self.to_rgbs.append(ToRGB(out_ch, style_dim))
            in_ch = out_ch
