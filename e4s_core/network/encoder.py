"""The multi-scale region encoder F_phi: an IR-SE network with masked average pooling.

Features after the last three stages (64, 32 and 16 px for a 256 px input) are
averaged under each region's mask and concatenated: one texture vector per
region (1280-d in the authors' model). A region with no pixels at a level gets
zeros for that level.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .config import RGIConfig
from .regional import resize_labels

SE_REDUCTION = 16


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // SE_REDUCTION, 1, bias=False)
        self.fc2 = nn.Conv2d(channels // SE_REDUCTION, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(gate))))


class IRSEUnit(nn.Module):
    """Pre-norm residual unit; the stride sits in the second 3x3 conv.

    ``norm`` is InstanceNorm here (the authors' encoder) and BatchNorm in ArcFace's IR-SE50
    (``training/feature_nets.py``); the module names are the same in both checkpoints.
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int, norm: type[nn.Module] = nn.InstanceNorm2d):
        super().__init__()
        if in_ch == out_ch:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), norm(out_ch))
        self.res_layer = nn.Sequential(
            norm(in_ch),
            nn.Conv2d(in_ch, out_ch, 3, 1, 1, bias=False),
            nn.PReLU(out_ch),
            nn.Conv2d(out_ch, out_ch, 3, stride, 1, bias=False),
            norm(out_ch),
            SqueezeExcite(out_ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut_layer(x) + self.res_layer(x)


def masked_average(features: torch.Tensor, labels: torch.Tensor, num_regions: int) -> torch.Tensor:
    """features [B, C, h, w], labels [B, h, w] -> per-region means [B, R, C] (0 where empty)."""
    batch, channels = features.shape[:2]
    one_hot = F.one_hot(labels.reshape(batch, -1), num_regions).to(features.dtype)  # [B, hw, R]
    # features @ one_hot, not one_hot^T @ features^T: the latter's gradient reaches the features
    # channels-last, and PyTorch's CPU InstanceNorm backward gets such a gradient wrong for a
    # batch of one (torch 2.13; see tests/test_training.py).
    sums = (features.reshape(batch, channels, -1) @ one_hot).transpose(1, 2)  # [B, R, C]
    counts = one_hot.sum(1)[:, :, None]
    return sums / counts.clamp(min=1)


class RegionEncoder(nn.Module):
    def __init__(self, config: RGIConfig):
        super().__init__()
        widths, units = config.encoder_widths, config.encoder_units
        self.num_regions = config.num_regions
        self.input_layer = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
            nn.InstanceNorm2d(widths[0]),
            nn.PReLU(widths[0]),
        )
        body, taps, in_ch = [], [], widths[0]
        for out_ch, count in zip(widths[1:], units, strict=True):
            body.append(IRSEUnit(in_ch, out_ch, 2))
            body.extend(IRSEUnit(out_ch, out_ch, 1) for _ in range(count - 1))
            taps.append(len(body) - 1)
            in_ch = out_ch
        self.body = nn.Sequential(*body)
        self.tap_units = tuple(taps[-config.pooled_stages :])  # units 6, 20, 23 in the authors' model

    def forward(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """image [B, 3, S, S] in [-1, 1] at the encoder size; labels [B, h, w] -> [B, R, V]."""
        x = self.input_layer(image)
        pooled = []
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index in self.tap_units:
                level_labels = resize_labels(labels, x.shape[-1])
                pooled.append(masked_average(x, level_labels, self.num_regions))
        return torch.cat(pooled, dim=2)
