"""A small face parser trained on the synthetic corpus: the network behind our parsing loss.

The paper's parsing loss compares five encoder levels of a CelebAMask-HQ U-Net on the real and
generated faces. No such weights exist offline, but the corpus has exact labels, so we train a
U-Net of the same shape (five levels, 12 classes) on it in a few CPU minutes. It sees faces at
128 px; its encoder levels are the features the loss compares.
"""

import logging
import time

import torch
from torch import nn
from torch.nn import functional as F

from ..files import atomic_write
from ..regions import NUM_REGIONS
from .data import SyntheticFaceStream

log = logging.getLogger(__name__)

PARSER_INPUT_SIZE = 128
PARSER_WIDTHS = (16, 32, 64, 96, 128)


def _block(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1),
        nn.GroupNorm(8, out_ch),
        nn.LeakyReLU(0.2),
        nn.Conv2d(out_ch, out_ch, 3, padding=1),
        nn.LeakyReLU(0.2),
    )


class CorpusParser(nn.Module):
    """U-Net: [B, 3, S, S] in [-1, 1] -> logits [B, 12, S, S]; ``features`` gives 5 levels."""

    def __init__(self, widths: tuple[int, ...] = PARSER_WIDTHS, num_classes: int = NUM_REGIONS):
        super().__init__()
        self.widths = tuple(widths)
        self.down = nn.ModuleList()
        in_ch = 3
        for width in widths:
            self.down.append(_block(in_ch, width))
            in_ch = width
        self.up = nn.ModuleList(
            _block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(len(widths) - 1))
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Encoder outputs at 128, 64, 32, 16 and 8 px for any input size."""
        x = (
            F.interpolate(images, size=PARSER_INPUT_SIZE, mode="area")
            if images.shape[-1] != PARSER_INPUT_SIZE
            else images
        )
        levels = []
        for index, block in enumerate(self.down):
            x = block(x if index == 0 else F.avg_pool2d(x, 2))
            levels.append(x)
        return levels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        levels = self.features(images)
        x = levels[-1]
        for block, skip in zip(self.up, reversed(levels[:-1]), strict=True):
            x = block(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skip], dim=1))
        logits = self.head(x)
        if logits.shape[-1] != images.shape[-1]:
            logits = F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return logits


def train_corpus_parser(
    steps: int, batch_size: int = 16, lr: float = 2e-3, first_seed: int = 0, progress=None
) -> CorpusParser:
    """Fit a CorpusParser on corpus faces (cross-entropy against the exact labels)."""
    parser = CorpusParser()
    optimizer = torch.optim.Adam(parser.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    stream = iter(SyntheticFaceStream(batch_size, PARSER_INPUT_SIZE, first_seed=first_seed))
    start = time.perf_counter()
    for step in range(steps):
        batch = next(stream)
        loss = F.cross_entropy(parser(batch.images), batch.labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, steps, loss.item(), time.perf_counter() - start)
    return parser.eval().requires_grad_(False)


def parser_accuracy(parser: CorpusParser, seeds: list[int], size: int = PARSER_INPUT_SIZE) -> float:
    """Pixel accuracy on the given corpus faces."""
    from .data import faces_to_batch

    batch = faces_to_batch(seeds, size)
    with torch.no_grad():
        predicted = parser(batch.images).argmax(1)
    return float((predicted == batch.labels).float().mean())


def save_parser(parser: CorpusParser, path) -> None:
    payload = {
        "format": "e4s-studio-corpus-parser",
        "widths": list(parser.widths),
        "state_dict": parser.state_dict(),
    }
    atomic_write(path, lambda temp: torch.save(payload, temp))


def load_parser(path) -> CorpusParser:
    from ..errors import CheckpointError

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        parser = CorpusParser(tuple(payload["widths"]))
        parser.load_state_dict(payload["state_dict"])
    except (OSError, KeyError, RuntimeError, TypeError) as error:
        raise CheckpointError(f"{path} is not a corpus parser file: {error}") from error
    return parser.eval().requires_grad_(False)
