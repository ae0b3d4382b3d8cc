"""Reconstruction quality of a network on fixed held-out corpus faces (used while training)."""

import torch

from ..metrics import psnr, ssim
from ..network import RGINetwork
from ..network.regional import RegionLayout
from .data import FaceBatch


def validate(network: RGINetwork, batch: FaceBatch, device: torch.device) -> dict[str, float]:
    """Mean SSIM and PSNR of encode -> render with the network's stored noise."""
    images, labels = batch.images.to(device), batch.labels.to(device)
    with torch.no_grad():
        codes = network.style_codes(network.encode(images, labels))
        layout = RegionLayout(labels, network.config.num_regions)
        noise = [n.expand(images.shape[0], -1, -1, -1) for n in network.G.stored_noise()]
        generated = network.render(codes, layout, noise).clamp(-1, 1)
    return {"ssim": float(ssim(generated, images).mean()), "psnr": float(psnr(generated, images).mean())}
