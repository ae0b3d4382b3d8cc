"""Image similarity measures shared by training losses, fitting and benchmarks.

Images are float tensors [B, 3, H, W] in [-1, 1] (the engine's convention) unless a
function says otherwise. SSIM follows Wang et al. 2004: an 11-tap Gaussian window
(sigma 1.5), K1 = 0.01, K2 = 0.03, computed per channel and averaged.
"""

import torch
from torch.nn import functional as F

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _gaussian_window(channels: int, device, dtype) -> torch.Tensor:
    offsets = torch.arange(SSIM_WINDOW, device=device, dtype=dtype) - SSIM_WINDOW // 2
    taps = torch.exp(-(offsets**2) / (2 * SSIM_SIGMA**2))
    taps = taps / taps.sum()
    return (taps[:, None] * taps[None, :]).expand(channels, 1, -1, -1).contiguous()


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 2.0) -> torch.Tensor:
    """Local SSIM [B, C, H-10, W-10] ('valid' windows only, as scikit-image does by default)."""
    channels = x.shape[1]
    window = _gaussian_window(channels, x.device, x.dtype)

    def blur(t):
        return F.conv2d(t, window, groups=channels)

    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 2.0) -> torch.Tensor:
    """Mean SSIM per image [B]."""
    return ssim_map(x, y, data_range).mean((1, 2, 3))


def rmse(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Root mean squared error per image [B] on the [0, 1] scale (the paper's RMSE).

    ``mask`` [B, H, W] (bool or 0/1) restricts the mean to its pixels.
    """
    squared = ((x - y) / 2).pow(2).mean(1)  # [-1, 1] -> [0, 1] units, [B, H, W]
    if mask is None:
        return squared.mean((1, 2)).sqrt()
    weight = mask.to(squared.dtype)
    return ((squared * weight).sum((1, 2)) / weight.sum((1, 2)).clamp(min=1)).sqrt()


def psnr(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image [B] (peak 1 on the [0, 1] scale)."""
    return -20 * torch.log10(rmse(x, y, mask).clamp(min=1e-8))


def srgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1], channels first [..., 3, H, W] -> CIELAB (D65) with L in 0..100."""
    linear = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = rgb.new_tensor(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = torch.einsum("ij,...jhw->...ihw", matrix, linear)
    white = rgb.new_tensor([0.95047, 1.0, 1.08883]).view(3, 1, 1)
    t = xyz / white
    delta = 6 / 29
    f = torch.where(t > delta**3, t.clamp(min=1e-12) ** (1 / 3), t / (3 * delta**2) + 4 / 29)
    lightness = 116 * f[..., 1:2, :, :] - 16
    a = 500 * (f[..., 0:1, :, :] - f[..., 1:2, :, :])
    b = 200 * (f[..., 1:2, :, :] - f[..., 2:3, :, :])
    return torch.cat([lightness, a, b], dim=-3)
