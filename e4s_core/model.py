"""The engine's model API: encode -> style_codes -> render. Qt-free; used by app, CLI, tests.

Inputs are validated and moved to the model's device; outputs stay there. The
methods follow the caller's grad mode: the weights do not require grad, so
inference builds no graph unless the inputs ask for one (photo fitting).
"""

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from .errors import CheckpointError, InputError
from .network import RGIConfig, RGINetwork
from .network.regional import RegionLayout

NoiseChoice = Literal["stored", "random"] | list[torch.Tensor]

_IDENTITIES = itertools.count(1)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    source: str  # file path, or "" for a model built in memory
    file_format: str  # "authors" (E4S Net3 checkpoint) or "e4s-studio"
    metadata: dict = field(default_factory=dict)


class E4SModel:
    def __init__(self, network: RGINetwork, info: ModelInfo):
        self.network = network.eval().requires_grad_(False)
        self.info = info
        # What caches key on: unique for the life of the process, unlike id(), which a model
        # built after this one is collected may get again.
        self.identity = next(_IDENTITIES)

    @property
    def config(self) -> RGIConfig:
        return self.network.config

    @property
    def device(self) -> torch.device:
        return self.network.latent_avg.device

    @property
    def dtype(self) -> torch.dtype:
        return self.network.latent_avg.dtype

    @property
    def resolution(self) -> int:
        return self.config.out_size

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None):
        self.network.to(device=device, dtype=dtype)
        self.identity = next(_IDENTITIES)  # what was cached for it lives on the old device or dtype
        return self

    @property
    def bundled(self) -> bool:
        """The small stylised model shipped in the package (trained on synthetic faces)."""
        from .paths import DEFAULT_MODEL_FILE

        source = self.info.source
        return bool(source) and Path(source).resolve() == DEFAULT_MODEL_FILE.resolve()

    def describe(self) -> str:
        precision = str(self.dtype).replace("torch.", "")
        return f"{self.info.name} · {self.resolution}px · {self.device} · {precision}"

    # -- API ---------------------------------------------------------------------------------
    def encode(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """image [B, 3, H, H] in [-1, 1], labels [B, h, w] int in 0..R-1 -> vectors [B, R, V]."""
        image = self._image(image)
        labels = self.labels(labels, batch=image.shape[0])
        return self.network.encode(image, labels).float()

    def style_codes(self, vectors: torch.Tensor) -> torch.Tensor:
        """vectors [B, R, V] -> codes [B, R, L, D] ([B, 12, 18, 512] for the authors' model)."""
        expected = (self.config.num_regions, self.config.vector_dim)
        if vectors.ndim != 3 or tuple(vectors.shape[1:]) != expected:
            raise InputError(f"vectors must be [B, {expected[0]}, {expected[1]}], got {tuple(vectors.shape)}")
        return self.network.style_codes(vectors.to(self.device, self.dtype)).float()

    def render(
        self,
        codes: torch.Tensor,
        labels: torch.Tensor | RegionLayout,
        size: int | None = None,
        noise: NoiseChoice = "stored",
        generator: torch.Generator | None = None,
        reference: bool = False,
    ) -> torch.Tensor:
        """codes [B, R, L, D] + labels [B, h, w] -> image [B, 3, S, S] in about [-1, 1].

        ``size`` picks an RGB stage (4, 8, ..., full); a smaller stage runs no larger block,
        which makes ``size=256`` the live preview. ``noise="stored"`` (default) uses the
        checkpoint's noise maps, so unchanged regions stay pixel-identical across edits;
        ``"random"`` draws fresh noise (from ``generator`` when given). ``reference=True``
        runs the authors' per-region loop instead of the fast path (same numbers, slower).
        """
        config = self.config
        expected = (config.num_regions, config.num_w_layers, config.style_dim)
        if codes.ndim != 4 or tuple(codes.shape[1:]) != expected:
            raise InputError(f"codes must be [B, {', '.join(map(str, expected))}], got {tuple(codes.shape)}")
        layout = labels if isinstance(labels, RegionLayout) else self.layout(labels, codes.shape[0])
        stop = self._stage_size(size)
        noise_maps = self._noise(noise, codes.shape[0], generator)
        image = self.network.render(codes.to(self.device, self.dtype), layout, noise_maps, stop, reference)
        if not torch.isfinite(image).all():  # a black image would hide it
            raise CheckpointError(
                f"{self.info.name} rendered NaN or infinite pixels: its weights are damaged, or the"
                " codes it was given are out of range."
            )
        return image.float()

    def layout(self, labels: torch.Tensor, batch: int | None = None) -> RegionLayout:
        """Validated label geometry; reuse it across renders of the same mask."""
        return RegionLayout(self.labels(labels, batch), self.config.num_regions)

    def labels(self, labels: torch.Tensor, batch: int | None = None) -> torch.Tensor:
        if not isinstance(labels, torch.Tensor):
            labels = torch.as_tensor(labels)
        if labels.ndim == 2:
            labels = labels[None]
        if labels.ndim != 3 or labels.shape[-1] != labels.shape[-2]:
            raise InputError(f"labels must be a square [B, h, w] map, got {tuple(labels.shape)}")
        if labels.is_floating_point() or labels.dtype == torch.bool:
            raise InputError(f"labels must hold integer region ids, got {labels.dtype}")
        if batch is not None and labels.shape[0] not in (1, batch):
            raise InputError(f"labels batch {labels.shape[0]} does not match {batch} images")
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= self.config.num_regions:
            raise InputError(
                f"labels must be region ids 0..{self.config.num_regions - 1}, found {low}..{high}"
            )
        labels = labels.to(self.device, torch.long)
        if batch is not None and labels.shape[0] != batch:
            labels = labels.expand(batch, -1, -1)
        return labels

    # -- helpers -----------------------------------------------------------------------------
    def _image(self, image: torch.Tensor) -> torch.Tensor:
        if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[1] != 3:
            shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
            raise InputError(f"image must be a [B, 3, H, W] tensor in [-1, 1], got {shape}")
        if image.shape[-1] != image.shape[-2]:
            raise InputError(f"image must be square (align the face first), got {tuple(image.shape[-2:])}")
        if not image.is_floating_point():
            raise InputError("image must be float in [-1, 1]; convert uint8 with x / 127.5 - 1")
        if not torch.isfinite(image).all():
            raise InputError("image holds NaN or infinite values")
        return image.to(self.device, self.dtype)

    def _stage_size(self, size: int | None) -> int:
        stages = [2**i for i in range(2, self.network.G.log_size + 1)]
        if size is None:
            return self.resolution
        if size not in stages:
            raise InputError(f"size must be one of the generator's stages {stages}, got {size}")
        return size

    def _noise(self, noise: NoiseChoice, batch: int, generator) -> list[torch.Tensor]:
        G = self.network.G
        if isinstance(noise, str):
            if noise == "stored":
                return G.stored_noise()
            if noise == "random":
                return [n.to(self.dtype) for n in G.random_noise(batch, generator)]
            raise InputError(f"noise must be 'stored', 'random' or a list of maps, got {noise!r}")
        maps = list(noise)
        if len(maps) != G.num_noise_maps:
            raise InputError(f"noise needs {G.num_noise_maps} maps, got {len(maps)}")
        return [m.to(self.device, self.dtype) for m in maps]
