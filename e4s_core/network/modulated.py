"""StyleGAN2's modulated convolution, plain and per region.

A region-masked layer (E4S) computes, for every region r, the modulated
convolution of the whole input with region r's style, multiplies it by r's
mask at the output resolution and sums. ``forward_masked_loop`` does exactly
that and is the test oracle. ``forward_regional`` computes the same function
at about the cost of one plain convolution (see ``regional.py``).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from .layers import Blur, EqualLinear
from .ops import is_channels_last
from .regional import RegionLayout, gather_per_pixel, upsampling_window_kernels

DEMOD_EPS = 1e-8


class ModulatedConv2d(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
        blur_taps=(1, 3, 3, 1),
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.demodulate = demodulate
        self.upsample = upsample
        self.scale = 1 / math.sqrt(in_channels * kernel_size**2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)
        if upsample:
            surplus = (len(blur_taps) - 2) - (kernel_size - 1)
            self.blur = Blur(blur_taps, pad=((surplus + 1) // 2 + 1, surplus // 2 + 1), upsample_factor=2)
        self._derived: dict[str, tuple[tuple, torch.Tensor]] = {}

    # -- plain StyleGAN2 layer: one style per image ------------------------------------------
    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x [B, Cin, H, W], w [B, style_dim] -> [B, Cout, H', W']."""
        batch, _, height, width = x.shape
        style = self.modulation(w).view(batch, 1, self.in_channels, 1, 1)
        weight = self.scale * self.weight * style  # [B, Cout, Cin, k, k]
        if self.demodulate:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + DEMOD_EPS)
            weight = weight * demod.view(batch, self.out_channels, 1, 1, 1)
        layout = torch.channels_last if is_channels_last(x) else torch.contiguous_format
        x = x.reshape(1, batch * self.in_channels, height, width)
        k = self.kernel_size
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(batch * self.in_channels, self.out_channels, k, k)
            weight = weight.contiguous(memory_format=layout)  # oneDNN's fast path wants matching layouts
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=batch)
            out = self.blur(out.view(batch, self.out_channels, *out.shape[2:]))
        else:
            weight = weight.reshape(batch * self.out_channels, self.in_channels, k, k)
            out = F.conv2d(x, weight, padding=self.padding, groups=batch)
            out = out.view(batch, self.out_channels, *out.shape[2:])
        return out

    # -- reference: the authors' per-region loop ---------------------------------------------
    def forward_masked_loop(
        self, x: torch.Tensor, w_regions: torch.Tensor, masks: torch.Tensor
    ) -> torch.Tensor:
        """w_regions [B, R, style_dim], masks [B, R, H', W'] (one-hot at the output size)."""
        out = None
        for region in range(w_regions.shape[1]):
            term = self.forward(x, w_regions[:, region]) * masks[:, region : region + 1]
            out = term if out is None else out + term
        return out

    # -- fast path: each output pixel only with its own region's style ----------------------
    def region_styles(self, w_regions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Input scales [B, R, Cin] and output demodulation [B, R, Cout] (None without demod)."""
        styles = self.modulation(w_regions)
        if not self.demodulate:
            return styles, None
        weight_sq = self._derived_weight("squares", lambda: self.scaled_weight().pow(2).sum([2, 3]).t())
        demod = torch.rsqrt(styles.pow(2) @ weight_sq + DEMOD_EPS)
        return styles, demod

    def forward_regional(
        self, x: torch.Tensor, w_regions: torch.Tensor, layout: RegionLayout
    ) -> torch.Tensor:
        """Same function as ``forward_masked_loop`` for the hard partition in ``layout``."""
        out, demod_map = self.forward_regional_undemodulated(x, w_regions, layout)
        return out if demod_map is None else out * demod_map

    def forward_regional_undemodulated(
        self, x: torch.Tensor, w_regions: torch.Tensor, layout: RegionLayout
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The regional layer before its per-pixel demodulation, and that demodulation map.

        Modulation scales the input channels and demodulation the output channels,
        so a pixel whose whole receptive field lies in its own region is one plain
        convolution of the per-pixel-scaled input. Only (pixel, tap) pairs that read
        another region's pixel are corrected, batched. The caller applies the map,
        fused with its next element-wise step (``out * map`` is the layer's output).
        """
        x = x.contiguous(memory_format=torch.channels_last)  # pixels as rows, for the border fix
        height = x.shape[-1]
        up = 2 if self.upsample else 1
        styles, demod = self.region_styles(w_regions)
        weight = self._derived_weight("scaled", self.scaled_weight)  # [Cout, Cin, k, k]
        x_scaled = x * gather_per_pixel(styles, layout.labels(height))
        if self.upsample:
            weight_t = self._derived_weight("transposed", lambda: weight.transpose(0, 1).contiguous())
            out = self.blur(F.conv_transpose2d(x_scaled, weight_t, stride=2))
        else:
            out = F.conv2d(x_scaled, weight, padding=self.padding)
        if self.kernel_size > 1:
            out = self._correct_border_pixels(out, x, styles, weight, layout, up)
        demod_map = None if demod is None else gather_per_pixel(demod, layout.labels(height * up))
        return out, demod_map

    def scaled_weight(self) -> torch.Tensor:
        return self.weight[0] * self.scale

    def _derived_weight(self, name: str, build) -> torch.Tensor:
        """A weight rearrangement, rebuilt only when the weight changes (or is being trained)."""
        if torch.is_grad_enabled() and self.weight.requires_grad:
            return build()
        w = self.weight
        key = (w._version, w.data_ptr(), w.dtype, w.device)
        cached = self._derived.get(name)
        # A tensor built under inference_mode (a GUI render) cannot enter autograd (a fit on the
        # same model); a normal one serves both, so rebuild it once outside inference mode.
        stale = cached is not None and cached[1].is_inference() and not torch.is_inference_mode_enabled()
        if cached is None or cached[0] != key or stale:
            cached = (key, build())
            self._derived[name] = cached
        return cached[1]

    def _correct_border_pixels(self, out, x, styles, weight, layout, up) -> torch.Tensor:
        """Fix pixels that read taps from other regions: out += W_tap (s_r - s_n) x_n.

        The plain convolution gave every tap its own pixel's style s_n; the exact layer
        uses the output pixel's style s_r. Only mismatched taps differ, so the fix costs
        a few taps per border pixel instead of a full window.
        """
        border = layout.border_sites(x.shape[-1] * up, up, self.kernel_size)
        if border.count == 0:
            return out
        channels = self.in_channels
        pixels = x.permute(0, 2, 3, 1).reshape(-1, channels)  # [B * H * W, Cin], a view
        style_gap = (styles[:, :, None, :] - styles[:, None, :, :]).reshape(-1, channels)  # s_r - s_n
        tap_weights = self._derived_weight("tap_weights", lambda: self._tap_weights(weight))
        scaled = pixels.index_select(0, border.pair_source_row)  # [M, Cin]
        scaled = scaled * style_gap.index_select(0, border.pair_gap_row)
        contributions = torch.cat(
            [scaled[start:end] @ tap_weights[tap] for tap, start, end in border.tap_slices], dim=0
        )
        correction = out.new_zeros(border.count, self.out_channels).index_add(
            0, border.pair_pixel, contributions
        )
        out = out.contiguous(memory_format=torch.channels_last)  # no-op where convs keep the layout
        rows = out.permute(0, 2, 3, 1).view(-1, self.out_channels)  # a view: writes reach out
        rows.index_add_(0, border.output_row, correction)
        return out

    def _tap_weights(self, weight: torch.Tensor) -> torch.Tensor:
        """[taps, Cin, Cout]; for upsampling, one 3x3 window kernel per subpixel phase."""
        if self.upsample:
            weight = upsampling_window_kernels(weight, self.blur.kernel)  # [4, Cout, Cin, 3, 3]
        taps = weight.reshape(-1, self.out_channels, self.in_channels, weight.shape[-1] * weight.shape[-2])
        return taps.permute(0, 3, 2, 1).reshape(-1, self.in_channels, self.out_channels).contiguous()
