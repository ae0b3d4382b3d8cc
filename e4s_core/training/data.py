"""Training batches: the batch type, and the synthetic corpus as an endless, resumable, rank-sharded stream.

Sample ``n`` of the stream is the face of seed ``(first_seed + n) % TRAIN_SEED_LIMIT``; rank
``r`` of ``w`` takes samples r, r + w, r + 2w, ... so data-parallel workers never see the same
face in a step and a resumed run continues with exactly the faces it would have seen.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from ..errors import InputError
from ..synthetic import TRAIN_SEED_LIMIT, make_face
from ..synthetic.seeds import VALIDATION_SEEDS
from .dataset_layouts import SkipReport


@dataclass
class FaceBatch:
    images: torch.Tensor  # [B, 3, S, S] float in [-1, 1]
    labels: torch.Tensor  # [B, S, S] int64 region ids
    ids: torch.Tensor  # [B] int64: corpus seeds, or a dataset's item numbers
    skipped: SkipReport = field(default_factory=SkipReport)  # faces of this batch that could not be read


def faces_to_batch(seeds: list[int], size: int) -> FaceBatch:
    faces = [make_face(seed, size) for seed in seeds]
    images = np.stack([face.image for face in faces])  # [B, S, S, 3] uint8
    labels = np.stack([face.labels for face in faces])
    return FaceBatch(
        images=torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1,
        labels=torch.from_numpy(labels).long(),
        ids=torch.tensor(seeds, dtype=torch.long),
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
        raise InputError("the synthetic corpus takes 0 or 1 data workers per process (more would reorder it)")
    loader = DataLoader(stream, batch_size=None, num_workers=1, prefetch_factor=4, persistent_workers=True)
    return iter(loader)


class SyntheticFaces:
    """The synthetic corpus as training data (the counterpart of ``datasets.DatasetFaces``)."""

    description = {"kind": "synthetic"}

    def __init__(self, size: int):
        self.size = size

    def stream(self, batch_size: int, start_batch: int, rank: int, world_size: int, workers: int, seed: int):
        stream = SyntheticFaceStream(
            batch_size, self.size, start_batch, rank, world_size, first_seed=seed * 7919
        )
        return batch_loader(stream, workers)

    def validation(self, count: int) -> FaceBatch:
        return faces_to_batch(list(VALIDATION_SEEDS[:count]), self.size)
