"""StyleGAN2 generator whose early layers are modulated per region (E4S's G_theta).

Module names follow rosinality's stylegan2-pytorch, as in the authors' model.
A layer reading W+ index i < K gets one style per region and works under the
mask; later layers read the shared style (region 0's row, equal to
``latent_avg[i]`` by construction) and are plain StyleGAN2 layers.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import RGIConfig
from .layers import ConstantInput, EqualLinear, FusedLeakyReLU, NoiseInjection, PixelNorm, Upsample
from .modulated import ModulatedConv2d
from .ops import noise_bias_leaky_relu
from .regional import RegionLayout

MAPPING_LR_MUL = 0.01


class StyledConv(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, style_dim: int, upsample: bool, blur_taps):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, style_dim, upsample=upsample, blur_taps=blur_taps)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, style, noise, layout: RegionLayout | None, reference: bool):
        out, demod_map = run_modulated(self.conv, x, style, layout, reference)
        # self.activate(self.noise(out * demod_map, noise)), fused: these passes dominate at 1024 px.
        return noise_bias_leaky_relu(out, self.noise.weight, noise, self.activate.bias, demod_map)


class ToRGB(nn.Module):
    def __init__(self, in_ch: int, style_dim: int, upsample: bool, blur_taps):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_taps)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip, layout: RegionLayout | None, reference: bool):
        out, _ = run_modulated(self.conv, x, style, layout, reference)  # ToRGB does not demodulate
        out = out + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


def run_modulated(conv: ModulatedConv2d, x, style, layout, reference: bool):
    """(output, per-pixel demodulation still to apply or None).

    style is [B, D] for a plain layer or [B, R, D] for a region-masked one.
    """
    if style.ndim == 2:
        return conv(x, style), None
    if reference:
        out_size = x.shape[-1] * (2 if conv.upsample else 1)
        return conv.forward_masked_loop(x, style, layout.masks(out_size, x.dtype)), None
    return conv.forward_regional_undemodulated(x, style, layout)


@dataclass(frozen=True)
class LayerSlot:
    """Where one synthesis layer reads its style and noise, and at what size it outputs."""

    name: str
    w_index: int
    out_size: int
    noise_index: int | None


class Generator(nn.Module):
    def __init__(self, config: RGIConfig):
        super().__init__()
        self.config = config
        dim, taps = config.style_dim, config.blur_taps
        self.log_size = int(math.log2(config.out_size))
        mapping = [PixelNorm()] + [
            EqualLinear(dim, dim, lr_mul=MAPPING_LR_MUL, fused_activation=True)
            for _ in range(config.mapping_layers)
        ]
        self.style = nn.Sequential(*mapping)
        self.input = ConstantInput(config.channels_at(4))
        self.conv1 = StyledConv(config.channels_at(4), config.channels_at(4), dim, False, taps)
        self.to_rgb1 = ToRGB(config.channels_at(4), dim, upsample=False, blur_taps=taps)
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        in_ch = config.channels_at(4)
        for level in range(3, self.log_size + 1):
            out_ch = config.channels_at(2**level)
            self.convs.append(StyledConv(in_ch, out_ch, dim, True, taps))
            self.convs.append(StyledConv(out_ch, out_ch, dim, False, taps))
            self.to_rgbs.append(ToRGB(out_ch, dim, upsample=True, blur_taps=taps))
            in_ch = out_ch
        for index in range(self.num_noise_maps):
            size = 2 ** ((index + 5) // 2)
            self.noises.register_buffer(f"noise_{index}", torch.randn(1, 1, size, size))

    @property
    def num_noise_maps(self) -> int:
        return 2 * self.log_size - 3

    def stored_noise(self) -> list[torch.Tensor]:
        return [getattr(self.noises, f"noise_{i}") for i in range(self.num_noise_maps)]

    def random_noise(self, batch: int, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        device = self.input.input.device
        return [
            torch.randn(batch, 1, n.shape[-1], n.shape[-1], generator=generator, device=device)
            for n in self.stored_noise()
        ]

    def layer_slots(self) -> list[LayerSlot]:
        """Synthesis layers in execution order (the W-index table of the paper's G)."""
        slots = [LayerSlot("conv1", 0, 4, 0), LayerSlot("to_rgb1", 1, 4, None)]
        for level in range(3, self.log_size + 1):
            j, size = level - 3, 2**level
            slots += [
                LayerSlot(f"convs.{2 * j}", 2 * j + 1, size, 2 * j + 1),
                LayerSlot(f"convs.{2 * j + 1}", 2 * j + 2, size, 2 * j + 2),
                LayerSlot(f"to_rgbs.{j}", 2 * j + 3, size, None),
            ]
        return slots

    def is_regional(self, slot: LayerSlot) -> bool:
        return slot.w_index < self.config.regional_layers

    def synthesize(
        self,
        codes: torch.Tensor,
        layout: RegionLayout | None,
        noise: list[torch.Tensor],
        stop_size: int | None = None,
        reference: bool = False,
    ) -> torch.Tensor:
        """codes [B, R, L, D] (regional) or [B, L, D] (plain StyleGAN2) -> RGB [B, 3, S, S].

        ``stop_size`` returns the RGB skip at that size, running no larger block.
        """
        regional = codes.ndim == 4
        if regional and layout is None:
            raise ValueError("regional codes need a RegionLayout")
        stop_size = stop_size or self.config.out_size
        modules = dict(self.named_modules())
        # Channels-last memory: faster transposed convs and blurs at high resolution on CPU,
        # and each pixel's channels are one row for the regional border corrections.
        x = self.input(codes.shape[0]).contiguous(memory_format=torch.channels_last)
        skip = None
        for slot in self.layer_slots():
            if slot.out_size > stop_size:
                break
            if not regional:
                style = codes[:, slot.w_index]
            elif self.is_regional(slot):
                style = codes[:, :, slot.w_index]
            else:
                style = codes[:, 0, slot.w_index]
            module = modules[slot.name]
            region_layout = layout if regional else None
            if slot.noise_index is None:
                skip = module(x, style, skip, region_layout, reference)
            else:
                x = module(x, style, noise[slot.noise_index], region_layout, reference)
        return skip.contiguous()
