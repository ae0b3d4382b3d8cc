"""Inception-v3 pool features for FID, from a weight file the user gives (nothing is downloaded).

Our own module with torchvision's parameter names, so the standard files load strictly: the FID
network's ``pt_inception-2015-12-05-6726825d.pth`` (the TensorFlow FID graph ported to PyTorch,
1008 classes, no auxiliary head: scores comparable with published FIDs) or torchvision's ImageNet
``inception_v3_google`` weights (1000 classes and an auxiliary head we drop: usable, but its FIDs
are not comparable with published ones, and we say so). The FID graph differs from torchvision's
network in four blocks, which we follow: its average pools leave padding out of the mean, and the
last block's pooling branch takes a max instead.

Input as FID takes it: RGB in [0, 1], resized bilinearly to 299 x 299, scaled to [-1, 1].
"""

import logging
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .checkpoint import read_weights_file
from .errors import CheckpointError

log = logging.getLogger(__name__)

FEATURES = 2048
INPUT_SIZE = 299
FID_CLASSES = 1008  # the TensorFlow graph's ImageNet head has 8 unused extra classes


class BasicConv2d(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_ch, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, in_ch: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_ch, 64, 1)
        self.branch5x5_1 = BasicConv2d(in_ch, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_ch, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(in_ch, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch5x5_2(self.branch5x5_1(x)),
                self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                self.branch_pool(_avg_pool(x)),
            ],
            1,
        )


class InceptionB(nn.Module):
    def __init__(self, in_ch: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(in_ch, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_ch, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, in_ch: int, c7: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_ch, 192, 1)
        self.branch7x7_1 = BasicConv2d(in_ch, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_ch, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_ch, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            double = layer(double)
        return torch.cat([self.branch1x1(x), seven, double, self.branch_pool(_avg_pool(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, in_ch: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_ch, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_ch, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        three = self.branch3x3_2(self.branch3x3_1(x))
        seven = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([three, seven, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    def __init__(self, in_ch: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool  # the FID graph's last block
        self.branch1x1 = BasicConv2d(in_ch, 320, 1)
        self.branch3x3_1 = BasicConv2d(in_ch, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_ch, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_ch, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        three = self.branch3x3_1(x)
        three = torch.cat([self.branch3x3_2a(three), self.branch3x3_2b(three)], 1)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        double = torch.cat([self.branch3x3dbl_3a(double), self.branch3x3dbl_3b(double)], 1)
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg_pool(x)
        return torch.cat([self.branch1x1(x), three, double, self.branch_pool(pooled)], 1)


class InceptionV3(nn.Module):
    """[B, 3, H, W] RGB in [0, 1] -> [B, 2048] pool features (``features``)."""

    def __init__(self, num_classes: int = FID_CLASSES):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, 32)
        self.Mixed_5c = InceptionA(256, 64)
        self.Mixed_5d = InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, 128)
        self.Mixed_6c = InceptionC(768, 160)
        self.Mixed_6d = InceptionC(768, 160)
        self.Mixed_6e = InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURES, num_classes)  # unused by FID; here so the files load strictly

    def features(self, rgb: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(rgb, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, "Mixed_" + name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def load_inception(path: str | os.PathLike, device: str | torch.device = "cpu") -> InceptionV3:
    """The FID feature network from a weight file (see the module's note on which files)."""
    state = read_weights_file(path)
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise CheckpointError(f"{os.path.basename(path)} is not Inception-v3 weights (no fc.weight)")
    aux = [key for key in state if key.startswith("AuxLogits.")]
    classes = state["fc.weight"].shape[0]
    if aux or classes != FID_CLASSES:
        log.warning(
            "%s is not the FID Inception (pt_inception-2015-12-05): its FIDs are not comparable"
            " with published ones", os.path.basename(path)
        )  # fmt: skip
    network = InceptionV3(num_classes=classes)
    expected = network.state_dict()
    given = {k: v for k, v in state.items() if k not in aux}
    # Older batch-norm files have no num_batches_tracked (unused at inference); torch fills it in.
    missing = [k for k in expected if k not in given and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in given if k not in expected]
    wrong = [k for k in expected if k in given and tuple(given[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        problems = [
            f"{what}: {', '.join(keys[:3])}" + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
            for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
            if keys
        ]
        raise CheckpointError(f"{os.path.basename(path)} does not fit Inception-v3 ({'; '.join(problems)})")
    network.load_state_dict(given, strict=False)  # everything else was checked above
    return network.to(device).eval().requires_grad_(False)


def frechet_distance(first: np.ndarray, second: np.ndarray) -> float:
    """FID between two feature sets [N, D]: |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^1/2).

    The trace of the matrix square root is the sum of the square roots of the eigenvalues of
    S1^1/2 S2 S1^1/2 (symmetric, so eigh is exact and stable, no scipy needed).
    """
    if len(first) < 2 or len(second) < 2:
        raise ValueError("FID needs at least two images on each side")
    mu1, mu2 = first.mean(0), second.mean(0)
    s1, s2 = np.cov(first, rowvar=False), np.cov(second, rowvar=False)
    values, vectors = np.linalg.eigh(s1)
    root1 = (vectors * np.sqrt(values.clip(min=0))) @ vectors.T
    middle = np.linalg.eigvalsh(root1 @ s2 @ root1)
    return float(
        ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(middle.clip(min=0)).sum()
    )
