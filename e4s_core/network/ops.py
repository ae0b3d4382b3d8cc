"""Plain-PyTorch replacements for StyleGAN2's CUDA ops (``upfirdn2d``, fused bias+lrelu).

The filter is applied as a depthwise convolution: the same numbers as the
original "reshape every channel into the batch" formulation, without its
full-size copies of every activation.
"""

import math

import torch
import torch.nn.functional as F

LEAKY_SLOPE = 0.2
LEAKY_GAIN = math.sqrt(2.0)  # keeps activation variance after the leaky ReLU


def make_blur_kernel(taps: list[int] | tuple[int, ...], gain: float = 1.0) -> torch.Tensor:
    """Separable FIR kernel [k, k] normalised to sum to ``gain``."""
    row = torch.tensor(taps, dtype=torch.float32)
    kernel = row[None, :] * row[:, None]
    return kernel / kernel.sum() * gain


def upfirdn2d(
    x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad: tuple[int, int] = (0, 0)
) -> torch.Tensor:
    """Upsample by zero insertion, pad, convolve with ``kernel`` (true convolution), downsample.

    x: [N, C, H, W]; output side = (H * up + pad0 + pad1 - k) // down + 1.
    Negative pads crop, as in the original op.
    """
    batch, channels, height, width = x.shape
    if up > 1:
        layout = torch.channels_last if is_channels_last(x) else torch.contiguous_format
        spread = x.new_zeros(batch, channels, height * up, width * up).contiguous(memory_format=layout)
        spread[:, :, ::up, ::up] = x
        x = spread
    pad0, pad1 = pad
    taps = torch.flip(kernel, (0, 1)).to(x.dtype)[None, None]
    weight = taps.expand(channels, 1, *kernel.shape)
    if pad0 == pad1 >= 0:  # the convolution pads internally, without a padded copy
        return F.conv2d(x, weight, stride=down, padding=pad0, groups=channels)
    x = F.pad(x, (max(pad0, 0), max(pad1, 0), max(pad0, 0), max(pad1, 0)))
    if pad0 < 0 or pad1 < 0:
        end_h = x.shape[2] - max(-pad1, 0)
        end_w = x.shape[3] - max(-pad1, 0)
        x = x[:, :, max(-pad0, 0) : end_h, max(-pad0, 0) : end_w]
    return F.conv2d(x, weight, stride=down, groups=channels)


def is_channels_last(x: torch.Tensor) -> bool:
    return x.ndim == 4 and x.shape[1] > 1 and x.is_contiguous(memory_format=torch.channels_last)


def noise_bias_leaky_relu(
    x: torch.Tensor,
    noise_weight: torch.Tensor,
    noise: torch.Tensor,
    bias: torch.Tensor,
    scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """lrelu(x * scale + noise_weight * noise + bias) * sqrt(2) in three passes over x.

    The gain moves inside the activation (leaky ReLU is positively homogeneous);
    ``scale`` (a regional layer's demodulation map) rides along in the first pass.
    """
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if scale is None:
        out = torch.add(bias.view(shape) * LEAKY_GAIN, x, alpha=LEAKY_GAIN)
    else:
        out = torch.addcmul(bias.view(shape) * LEAKY_GAIN, x, scale, value=LEAKY_GAIN)
    out.addcmul_(noise.to(out.dtype), noise_weight * LEAKY_GAIN)
    return F.leaky_relu_(out, LEAKY_SLOPE)


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Per-channel bias, leaky ReLU (slope 0.2) and sqrt(2) gain; bias broadcasts over dim 1."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), LEAKY_SLOPE) * LEAKY_GAIN
