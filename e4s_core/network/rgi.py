"""The RGI network: region encoder -> per-region MLPs -> region-modulated generator.

Attribute names (``encoder``, ``MLPs``, ``G``) are the authors' state-dict
prefixes. ``latent_avg`` travels with the model but, as in their checkpoint,
is stored beside the state dict rather than in it.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .config import RGIConfig
from .encoder import RegionEncoder
from .generator import Generator
from .layers import EqualLinear
from .regional import RegionLayout


class LocalMLP(nn.Module):
    """One region's texture vector -> its K rows of W+ (offsets from latent_avg)."""

    def __init__(self, vector_dim: int, style_dim: int, rows: int):
        super().__init__()
        # PyTorch's default LeakyReLU slope (0.01), as in the authors' model.
        self.mlp = nn.Sequential(
            EqualLinear(vector_dim, style_dim), nn.LeakyReLU(), EqualLinear(style_dim, style_dim * rows)
        )
        self.rows = rows

    def forward(self, vector: torch.Tensor) -> torch.Tensor:
        return self.mlp(vector).view(vector.shape[0], self.rows, -1)


class RGINetwork(nn.Module):
    def __init__(self, config: RGIConfig):
        super().__init__()
        self.config = config
        self.encoder = RegionEncoder(config)
        self.MLPs = nn.ModuleList(
            LocalMLP(config.vector_dim, config.style_dim, config.regional_layers)
            for _ in range(config.num_regions)
        )
        self.G = Generator(config)
        self.register_buffer(
            "latent_avg", torch.zeros(config.num_w_layers, config.style_dim), persistent=False
        )

    def encode(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """image [B, 3, H, H] in [-1, 1], labels [B, h, w] -> texture vectors [B, R, V]."""
        size = self.config.encoder_input_size
        if image.shape[-1] != size or image.shape[-2] != size:
            # The authors' resize: bilinear, align_corners=False, no antialiasing.
            image = F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False)
        return self.encoder(image, labels)

    def style_codes(self, vectors: torch.Tensor) -> torch.Tensor:
        """vectors [B, R, V] -> W+ codes [B, R, L, D]; rows >= K are latent_avg exactly."""
        k = self.config.regional_layers
        learned = torch.stack([mlp(vectors[:, r]) for r, mlp in enumerate(self.MLPs)], dim=1)
        learned = learned + self.latent_avg[:k]
        shared = self.latent_avg[k:].expand(*learned.shape[:2], -1, -1)
        return torch.cat([learned, shared.to(learned.dtype)], dim=2)

    def render(
        self,
        codes: torch.Tensor,
        layout: RegionLayout,
        noise: list[torch.Tensor],
        stop_size: int | None = None,
        reference: bool = False,
    ) -> torch.Tensor:
        return self.G.synthesize(codes, layout, noise, stop_size=stop_size, reference=reference)
