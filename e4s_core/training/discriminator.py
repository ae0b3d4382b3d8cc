"""A small residual discriminator (StyleGAN2's shape at toy widths) for the adversarial term."""

import math

import torch
from torch import nn
from torch.nn import functional as F


class _DownBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, in_ch, 3, padding=1)
        self.conv2 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.conv1(x), 0.2)
        y = F.avg_pool2d(F.leaky_relu(self.conv2(y), 0.2), 2)
        return (y + F.avg_pool2d(self.skip(x), 2)) / math.sqrt(2)


class Discriminator(nn.Module):
    """[B, 3, S, S] in [-1, 1] -> one logit per image; looks at faces resized to ``input_size``."""

    def __init__(self, input_size: int = 128, widths: tuple[int, ...] = (32, 64, 128, 128, 128, 128)):
        super().__init__()
        self.input_size = input_size
        blocks = int(math.log2(input_size)) - 2  # down to 4x4
        widths = tuple(widths[: blocks + 1])
        if len(widths) != blocks + 1:
            raise ValueError(f"a {input_size} px discriminator needs {blocks + 1} widths")
        self.stem = nn.Conv2d(3, widths[0], 1)
        self.blocks = nn.Sequential(*(_DownBlock(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * 16, widths[-1]), nn.LeakyReLU(0.2))
        self.logit = nn.Linear(widths[-1], 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-1] != self.input_size:
            images = F.interpolate(images, size=self.input_size, mode="area")
        x = self.blocks(F.leaky_relu(self.stem(images), 0.2))
        return self.logit(self.head(x)).squeeze(1)
