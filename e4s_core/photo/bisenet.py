"""BiSeNet, the face parser the authors' E4S pipeline uses, run exactly as E4S runs it.

The network of face-parsing.PyTorch (the file people have as ``79999_iter.pth``): a ResNet-18
context path with two attention refinement modules and a global-average context, a feature
fusion module and three output heads; 19 classes in BiSeNet order. Module names follow the
authors' state dict, so their file loads strictly. Our own code, from the published design.

E4S's input path for a 1024 px crop (golden/parser/README.md): [0, 1] floats, a separable
bicubic downsampling by 2 (a = -0.5, 8 taps, reflect padding 3), clamp, ImageNet mean/std, the
network in eval mode, argmax of the main head -> 512 x 512, then BiSeNet -> E4S regions.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..checkpoint import read_weights_file
from ..device import resolve_device
from ..errors import CheckpointError
from ..regions import LABEL_MAP_SIZE, from_bisenet
from .align import AlignedFace

NUM_CLASSES = 19
INPUT_SIDE = 1024  # E4S builds its parser for 1024 crops and halves them
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BICUBIC_A = -0.5


class ConvBNReLU(nn.Module):
    def __init__(
        self, channels_in: int, channels_out: int, kernel: int = 3, stride: int = 1, padding: int = 1
    ):
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(channels_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class BasicBlock(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.downsample = None
        if channels_in != channels_out or stride != 1:
            self.downsample = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride, bias=False), nn.BatchNorm2d(channels_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(shortcut + residual)


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.layer1(self.maxpool(F.relu(self.bn1(self.conv1(x)))))
        feat8 = self.layer2(x)  # [B, 128, H/8, W/8]
        feat16 = self.layer3(feat8)  # [B, 256, H/16, W/16]
        feat32 = self.layer4(feat16)  # [B, 512, H/32, W/32]
        return feat8, feat16, feat32


class AttentionRefinement(nn.Module):
    def __init__(self, channels_in: int, channels_out: int):
        super().__init__()
        self.conv = ConvBNReLU(channels_in, channels_out)
        self.conv_atten = nn.Conv2d(channels_out, channels_out, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(channels_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv(x)
        attention = torch.sigmoid(self.bn_atten(self.conv_atten(feat.mean((2, 3), keepdim=True))))
        return feat * attention


class ContextPath(nn.Module):
    def __init__(self):
        super().__init__()
        self.resnet = ResNet18()
        self.arm16 = AttentionRefinement(256, 128)
        self.arm32 = AttentionRefinement(512, 128)
        self.conv_head32 = ConvBNReLU(128, 128)
        self.conv_head16 = ConvBNReLU(128, 128)
        self.conv_avg = ConvBNReLU(512, 128, kernel=1, padding=0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        feat8, feat16, feat32 = self.resnet(x)
        context = self.conv_avg(feat32.mean((2, 3), keepdim=True))  # [B, 128, 1, 1]
        feat32_sum = self.arm32(feat32) + F.interpolate(context, feat32.shape[2:], mode="nearest")
        feat32_up = self.conv_head32(F.interpolate(feat32_sum, feat16.shape[2:], mode="nearest"))
        feat16_sum = self.arm16(feat16) + feat32_up
        feat16_up = self.conv_head16(F.interpolate(feat16_sum, feat8.shape[2:], mode="nearest"))
        return feat8, feat16_up, feat32_up  # 1/8, 1/8, 1/16


class FeatureFusion(nn.Module):
    def __init__(self, channels_in: int = 256, channels_out: int = 256):
        super().__init__()
        self.convblk = ConvBNReLU(channels_in, channels_out, kernel=1, padding=0)
        self.conv1 = nn.Conv2d(channels_out, channels_out // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(channels_out // 4, channels_out, 1, bias=False)

    def forward(self, spatial: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        feat = self.convblk(torch.cat([spatial, context], dim=1))
        attention = torch.sigmoid(self.conv2(F.relu(self.conv1(feat.mean((2, 3), keepdim=True)))))
        return feat * attention + feat


class OutputHead(nn.Module):
    def __init__(self, channels_in: int, channels_mid: int, classes: int):
        super().__init__()
        self.conv = ConvBNReLU(channels_in, channels_mid)
        self.conv_out = nn.Conv2d(channels_mid, classes, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.conv(x))


class BiSeNet(nn.Module):
    def __init__(self, classes: int = NUM_CLASSES):
        super().__init__()
        self.cp = ContextPath()
        self.ffm = FeatureFusion(256, 256)
        self.conv_out = OutputHead(256, 256, classes)
        self.conv_out16 = OutputHead(128, 64, classes)
        self.conv_out32 = OutputHead(128, 64, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [B, 3, H, W] normalised -> (main, aux16, aux32) logits, each [B, 19, H, W]."""
        size = x.shape[2:]
        feat8, context8, context16 = self.cp(x)
        heads = (
            self.conv_out(self.ffm(feat8, context8)),
            self.conv_out16(context8),
            self.conv_out32(context16),
        )
        return tuple(F.interpolate(h, size, mode="bilinear", align_corners=True) for h in heads)


def _bicubic_taps() -> torch.Tensor:
    """The 8 normalised taps of E4S's bicubic downsampling by 2 ([8])."""
    x = np.abs((np.arange(8) - 4 + 0.5) / 2)
    a = BICUBIC_A
    weights = np.where(
        x <= 1,
        (a + 2) * x**3 - (a + 3) * x**2 + 1,
        np.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a, 0),
    )
    return torch.tensor(weights / weights.sum(), dtype=torch.float32)


def normalised_input(rgb: np.ndarray) -> torch.Tensor:
    """uint8 [1024, 1024, 3] -> the network's input [1, 3, 512, 512], exactly as E4S makes it."""
    image = (
        torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1)[None].float() / 255
    )  # [1, 3, S, S]
    taps = _bicubic_taps()
    vertical = taps.view(1, 1, 8, 1).repeat(3, 1, 1, 1)  # [3, 1, 8, 1]: one filter per channel
    horizontal = taps.view(1, 1, 1, 8).repeat(3, 1, 1, 1)
    image = F.conv2d(F.pad(image, (0, 0, 3, 3), mode="reflect"), vertical, stride=(2, 1), groups=3)
    image = F.conv2d(F.pad(image, (3, 3, 0, 0), mode="reflect"), horizontal, stride=(1, 2), groups=3)
    image = image.clamp(0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (image - mean) / std


class BiSeNetParser:
    """A ``FaceParser`` from a BiSeNet weight file (the authors' ``79999_iter.pth``).

    A crop that is not 1024 px is resized to 1024 first (E4S's parser halves a 1024 crop; other
    sizes would be parsed at the wrong scale).
    """

    name = "bisenet"

    def __init__(self, network: BiSeNet, source: Path, device: torch.device):
        self.network, self.source, self.device = network.eval().requires_grad_(False), source, device

    def describe(self) -> str:
        return f"BiSeNet ({self.source.name})"

    def logits(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 [1024, 1024, 3] -> the main head's logits [1, 19, 512, 512] (float32, on the CPU)."""
        with torch.inference_mode():
            main, _, _ = self.network(normalised_input(rgb).to(self.device))
        return main.float().cpu()

    def parse(self, aligned: AlignedFace) -> np.ndarray:
        """uint8 [512, 512] E4S labels of an aligned face of any size."""
        rgb = aligned.image
        if rgb.shape[0] != INPUT_SIDE:
            interpolation = cv2.INTER_AREA if rgb.shape[0] > INPUT_SIDE else cv2.INTER_CUBIC
            rgb = cv2.resize(rgb, (INPUT_SIDE, INPUT_SIDE), interpolation=interpolation)
        labels = self.logits(rgb).argmax(1)[0].numpy().astype(np.uint8)  # [512, 512] BiSeNet order
        assert labels.shape == (LABEL_MAP_SIZE, LABEL_MAP_SIZE)
        return from_bisenet(labels)


def load_bisenet(path: str | os.PathLike, device: str | None = None) -> BiSeNetParser:
    """The parser in a BiSeNet weight file, checked strictly (tensors only, every key and shape).

    Accepts the plain state dict of ``79999_iter.pth``, with or without ``module.`` prefixes and
    BatchNorm ``num_batches_tracked`` entries.
    """
    file = Path(path)
    payload = read_weights_file(file)
    if not isinstance(payload, dict) or not payload:
        raise CheckpointError(f"{file.name} is not a BiSeNet face parser file (it holds no state dict).")
    state = {(k[len("module.") :] if str(k).startswith("module.") else k): v for k, v in payload.items()}
    network = BiSeNet()
    expected = network.state_dict()
    for key, value in expected.items():  # older PyTorch saved no batch counters
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, value)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} weights missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} it should not have (e.g. {', '.join(map(str, unexpected[:3]))})")
        raise CheckpointError(f"{file.name} is not a BiSeNet face parser file: {'; '.join(parts)}.")
    for key, value in expected.items():
        found = state[key]
        if not isinstance(found, torch.Tensor) or found.shape != value.shape:
            shape = tuple(found.shape) if isinstance(found, torch.Tensor) else type(found).__name__
            raise CheckpointError(f"{file.name}: {key} is {shape}, BiSeNet needs {tuple(value.shape)}.")
    network.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
    target = resolve_device(device)
    return BiSeNetParser(network.to(target), file, target)
