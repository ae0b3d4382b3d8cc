"""The paper's frozen feature networks, read from weight files the user provides.

- ``LPIPS``: AlexNet's ``features`` trunk with the LPIPS v0.1 linear heads (Zhang et al. 2018),
  the perceptual term. Files: torchvision's ``alexnet-owt-7be5be79.pth`` and the lpips
  package's ``weights/v0.1/alex.pth``.
- ``ArcFace``: the IR-SE50 face recogniser of TreB1eN's InsightFace_Pytorch, as pSp ships it
  (``model_ir_se50.pth``), the identity term.

Nothing is downloaded and torchvision is not needed: the layers are spelled out here with the
originals' module names, so the files' state-dict keys load as they are.
"""

import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import CheckpointError
from ..network.encoder import IRSEUnit

# LPIPS's ScalingLayer: moves [-1, 1] images to the ImageNet statistics AlexNet was trained on.
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
ALEXNET_WIDTHS = (64, 192, 384, 256, 256)
ALEXNET_TAPS = (1, 4, 7, 9, 11)  # the ReLUs after each conv: LPIPS's relu1..relu5

# IR-SE50: (width, units) per stage; the first unit of each stage halves the resolution.
IR_SE50_STAGES = ((64, 3), (128, 4), (256, 14), (512, 3))
ARCFACE_SIZE = 112  # the recogniser's input side; 112 -> 56 -> 28 -> 14 -> 7


def _alexnet_features() -> nn.Sequential:
    """torchvision's AlexNet ``features`` (indices 0..12), so ``features.N.*`` keys load."""
    c1, c2, c3, c4, c5 = ALEXNET_WIDTHS
    return nn.Sequential(
        nn.Conv2d(3, c1, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, 1, 1), nn.ReLU(),
        nn.Conv2d(c3, c4, 3, 1, 1), nn.ReLU(),
        nn.Conv2d(c4, c5, 3, 1, 1), nn.ReLU(),
        nn.MaxPool2d(3, 2),
    )  # fmt: skip


class LinearHead(nn.Module):
    """LPIPS's NetLinLayer: ``model.0`` is its dropout (identity when frozen), ``model.1`` a 1x1 conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Identity(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class LPIPS(nn.Module):
    """LPIPS v0.1 distance with the AlexNet trunk; images [B, 3, H, W] in [-1, 1], H, W >= 32."""

    def __init__(self):
        super().__init__()
        self.trunk = _alexnet_features()
        for i, channels in enumerate(ALEXNET_WIDTHS):
            self.add_module(f"lin{i}", LinearHead(channels))
        self.register_buffer("shift", torch.tensor(LPIPS_SHIFT)[None, :, None, None], persistent=False)
        self.register_buffer("scale", torch.tensor(LPIPS_SCALE)[None, :, None, None], persistent=False)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[B, 3, H, W] -> relu1..relu5 activations, [B, C_i, h_i, w_i] with C = 64, 192, 384, 256, 256."""
        x = (x - self.shift) / self.scale
        taps = []
        for index, layer in enumerate(self.trunk[: ALEXNET_TAPS[-1] + 1]):
            x = layer(x)
            if index in ALEXNET_TAPS:
                taps.append(x)
        return taps

    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of the LPIPS distance; 0 for identical images."""
        distance = generated.new_zeros(generated.shape[0])  # [B]
        heads = [getattr(self, f"lin{i}") for i in range(len(ALEXNET_WIDTHS))]
        for head, fake, real in zip(heads, self.features(generated), self.features(target), strict=True):
            diff = (_unit_channels(fake) - _unit_channels(real)) ** 2  # [B, C, h, w]
            distance = distance + head(diff).mean((1, 2, 3))
        return distance.mean()


def _unit_channels(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    # lpips.normalize_tensor: eps is added to the norm, not under the square root.
    return features / (features.pow(2).sum(1, keepdim=True).sqrt() + eps)


class ArcFace(nn.Module):
    """IR-SE50 recogniser; ``stages`` other than the default exist for small test networks."""

    def __init__(self, stages: Sequence[tuple[int, int]] = IR_SE50_STAGES, embedding: int = 512):
        super().__init__()
        in_ch = stages[0][0]
        self.input_layer = nn.Sequential(
            nn.Conv2d(3, in_ch, 3, 1, 1, bias=False), nn.BatchNorm2d(in_ch), nn.PReLU(in_ch)
        )
        body, taps = [], []
        for out_ch, units in stages:
            body.append(IRSEUnit(in_ch, out_ch, 2, norm=nn.BatchNorm2d))
            body.extend(IRSEUnit(out_ch, out_ch, 1, norm=nn.BatchNorm2d) for _ in range(units - 1))
            taps.append(len(body) - 1)
            in_ch = out_ch
        self.body = nn.Sequential(*body)
        self.tap_units = tuple(taps)  # (2, 6, 20, 23) for IR-SE50: the end of each stage
        side = ARCFACE_SIZE // 2 ** len(stages)
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(in_ch),
            nn.Dropout(),
            nn.Flatten(),
            nn.Linear(in_ch * side * side, embedding),
            nn.BatchNorm1d(embedding, affine=True),
        )
        self.face_pool = nn.AdaptiveAvgPool2d((ARCFACE_SIZE, ARCFACE_SIZE))  # pSp's IDLoss resize

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[B, 3, H, W] in [-1, 1] -> the four stage outputs ([B, 64, 56, 56] .. [B, 512, 7, 7])
        and the embedding [B, 512], each scaled to unit L2 norm per image (the multi-scale ID loss)."""
        x = self.input_layer(self.face_pool(x))  # [B, 64, 112, 112]
        taps = []
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index in self.tap_units:
                taps.append(x)
        taps.append(self.output_layer(x))  # [B, 512]
        return [F.normalize(t.flatten(1), dim=1, eps=1e-12).view_as(t) for t in taps]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] in [-1, 1] -> unit-norm identity embedding [B, 512]."""
        return self.features(x)[-1]


# -- loading ---------------------------------------------------------------------------------
def _read_state(path) -> tuple[Path, Mapping[str, torch.Tensor]]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise CheckpointError(f"Weight file not found: {file}")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise CheckpointError(f"{file.name} is not a readable PyTorch weight file: {error}") from error
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{file.name} holds a {type(state).__name__}, not a state dict of tensors.")
    if state and all(key.startswith("module.") for key in state):  # saved from DataParallel
        state = {key.removeprefix("module."): value for key, value in state.items()}
    return file, state


def _fill(module: nn.Module, state: Mapping[str, torch.Tensor], file: Path, prefix: str, what: str) -> None:
    """Copy ``module``'s tensors from ``state[prefix + key]``; other keys in the file are ignored."""
    loaded = {}
    for key, expected in module.state_dict().items():
        name = prefix + key
        if name not in state:
            if key.endswith("num_batches_tracked"):  # absent from files saved before PyTorch 0.4.1
                continue
            raise CheckpointError(f"{file.name} has no '{name}' — is it {what}?")
        value = state[name]
        if not isinstance(value, torch.Tensor) or value.shape != expected.shape:
            found = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise CheckpointError(
                f"{file.name}: '{name}' has shape {found}, expected {tuple(expected.shape)} — is it {what}?"
            )
        loaded[key] = value
    module.load_state_dict(loaded, strict=False)


def load_lpips(alexnet_path, lpips_path) -> LPIPS:
    """LPIPS from torchvision's AlexNet file and the lpips package's v0.1 ``alex.pth``; frozen."""
    network = LPIPS()
    file, state = _read_state(alexnet_path)
    _fill(network.trunk, state, file, "features.", "torchvision's alexnet-owt-7be5be79.pth")
    file, state = _read_state(lpips_path)
    for i in range(len(ALEXNET_WIDTHS)):
        _fill(getattr(network, f"lin{i}"), state, file, f"lin{i}.", "the lpips package's v0.1/alex.pth")
    return network.eval().requires_grad_(False)


def load_arcface(path) -> ArcFace:
    """IR-SE50 ArcFace from ``model_ir_se50.pth`` (BatchNorm running statistics included); frozen."""
    file, state = _read_state(path)
    network = ArcFace()
    _fill(network, state, file, "", "the IR-SE50 ArcFace model_ir_se50.pth")
    return network.eval().requires_grad_(False)
