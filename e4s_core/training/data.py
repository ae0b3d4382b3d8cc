"""Training batches from the synthetic corpus: an endless, resumable, rank-sharded stream.

Sample ``n`` of the stream is the face of seed ``(first_seed + n) % TRAIN_SEED_LIMIT``; rank
``r`` of ``w`` takes samples r, r + w, r + 2w, ... so data-parallel workers never see the same
face in a step and a resumed run continues with exactly the faces it would have seen.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from ..synthetic import TRAIN_SEED_LIMIT, make_face


@dataclass
class FaceBatch:
    images: torch.Tensor  # [B, 3, S, S] float in [-1, 1]
    labels: torch.Tensor  # [B, S, S] int64 region ids
    seeds: torch.Tensor  # [B] int64


def faces_to_batch(seeds: list[int], size: int) -> FaceBatch:
    faces = [make_face(seed, size) for seed in seeds]
    images = np.stack([face.image for face in faces])  # [B, S, S, 3] uint8
    labels = np.stack([face.labels for face in faces])
    return FaceBatch(
        images=torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1,
        labels=torch.from_numpy(labels).long(),
        seeds=torch.tensor(seeds, dtype=torch.long),
    )


class SyntheticFaceStream(IterableDataset):
    """Endless batches of ``batch_size`` faces for one rank, starting at batch ``start_batch``."""

    def __init__(
        self,
        batch_size: int,
        size: int,
        start_batch: int = 0,
        rank: int = 0,
        world_size: int = 1,
        first_seed: int = 0,
    ):
        super().__init__()
        self.batch_size, self.size = batch_size, size
        self.start_batch, self.rank, self.world_size = start_batch, rank, world_size
        self.first_seed = first_seed

    def seeds_of_batch(self, batch_index: int) -> list[int]:
        global_batch = self.batch_size * self.world_size
        first = batch_index * global_batch + self.rank
        samples = range(first, first + global_batch, self.world_size)
        return [(self.first_seed + n) % TRAIN_SEED_LIMIT for n in samples]

    def __iter__(self) -> Iterator[FaceBatch]:
        batch_index = self.start_batch
        while True:
            yield faces_to_batch(self.seeds_of_batch(batch_index), self.size)
            batch_index += 1


def batch_loader(stream: SyntheticFaceStream, workers: int) -> Iterator[FaceBatch]:
    """Batches painted in ``workers`` background processes (0: in this process).

    With one worker the order is the stream's; more workers would interleave, so we use one
    process per rank: painting (~10 ms a face) is a few percent of a training step.
    """
    if workers == 0:
        return iter(stream)
    if workers != 1:
        raise ValueError("use 0 or 1 data workers per rank (more would reorder the stream)")
    loader = DataLoader(stream, batch_size=None, num_workers=1, prefetch_factor=4, persistent_workers=True)
    return iter(loader)
