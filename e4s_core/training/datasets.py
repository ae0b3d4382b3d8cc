"""Real faces for training and evaluation: a ``torch.utils.data.Dataset`` over a layout's entries.

Item keys are ``(index, flip)``: the sampler decides flips, so which face is seen mirrored is a
function of the run's seed and position and a resumed run sees exactly what an uninterrupted one
would have. Horizontal flips need no label swap: E4S's regions have no left and right. A face
that cannot be read is not fatal: in training the next readable face takes its slot, when
measuring the slot comes back empty; either way the file and the reason are counted
(``FaceBatch.skipped``).

Batches come from ``DatasetFaces.stream``: a ``DistributedSampler`` shards each epoch's
permutation over the ranks (disjoint faces per step), ``DataLoader`` workers decode in order.
"""

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..errors import InputError
from ..imageio import read_labels
from ..photo.io import read_photo
from ..regions import from_celebamask_hq
from .data import FaceBatch
from .dataset_layouts import FaceEntry, SkipReport, merge_part_masks

log = logging.getLogger(__name__)


WRONG_SIZE = "faces or label maps of the wrong size"
BAD_IMAGE = "unreadable images"
BAD_LABELS = "unreadable or invalid label maps"
# label side / image side: a power of two (CelebAMask-HQ's masks are 0.5, parsed maps are 512 px at
# any face size); anything else is a map made for another picture.
LABEL_SCALES = tuple(2.0**k for k in range(-4, 5))
MAX_STAND_INS = 16  # unreadable faces in a row a training slot looks past


class UnusableFaceError(InputError):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class LoadedFace:
    index: int
    image: np.ndarray | None  # uint8 [S, S, 3]; None when nothing could be read
    labels: np.ndarray | None  # uint8 [S, S] E4S ids
    failures: list[tuple[str, str]] = field(default_factory=list)  # (reason, file) of faces skipped


class FaceDataset(Dataset):
    """Entries of a layout, decoded, checked and resized to ``size`` x ``size``.

    ``stand_in``: a face that cannot be read gives its slot to the next readable one (training:
    batches stay full, so data-parallel ranks stay in step); otherwise the slot comes back empty.
    Either way the failure is reported with the face.
    """

    def __init__(
        self,
        entries: list[FaceEntry],
        label_format: str,
        size: int,
        skipped: SkipReport | None = None,
        stand_in: bool = False,
    ):
        self.entries, self.label_format, self.size = entries, label_format, size
        self.skipped_when_listed = skipped or SkipReport()
        self.stand_in = stand_in

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, key: int | tuple[int, bool]) -> LoadedFace:
        index, flip = key if isinstance(key, tuple) else (key, False)
        failures = []
        for tried in range(min(MAX_STAND_INS, len(self.entries)) if self.stand_in else 1):
            candidate = (index + tried) % len(self.entries)
            entry = self.entries[candidate]
            try:
                image, labels = self._read(entry)
            except UnusableFaceError as error:
                log.debug("skipping %s: %s", entry.name, error)  # counted: the run prints a summary
                failures.append((error.reason, entry.name))
                continue
            if flip:
                image, labels = image[:, ::-1], labels[:, ::-1]
            return LoadedFace(candidate, np.ascontiguousarray(image), np.ascontiguousarray(labels), failures)
        return LoadedFace(index, None, None, failures)

    def _read(self, entry: FaceEntry) -> tuple[np.ndarray, np.ndarray]:
        try:
            rgb = read_photo(entry.image).rgb
        except InputError as error:
            raise UnusableFaceError(BAD_IMAGE, str(error)) from error
        if rgb.shape[0] != rgb.shape[1]:
            raise UnusableFaceError(
                WRONG_SIZE, f"{rgb.shape[1]}x{rgb.shape[0]}: faces must be square aligned crops"
            )
        labels = self._labels(entry)
        if labels.shape[0] != labels.shape[1] or labels.shape[0] / rgb.shape[0] not in LABEL_SCALES:
            raise UnusableFaceError(
                WRONG_SIZE, f"a {labels.shape[1]}x{labels.shape[0]} label map for a {rgb.shape[0]} px face"
            )
        interpolation = cv2.INTER_AREA if rgb.shape[0] > self.size else cv2.INTER_CUBIC
        image = cv2.resize(rgb, (self.size, self.size), interpolation=interpolation)
        labels = cv2.resize(labels, (self.size, self.size), interpolation=cv2.INTER_NEAREST)
        return image, labels

    def _labels(self, entry: FaceEntry) -> np.ndarray:
        try:
            if entry.labels is not None:
                return read_labels(entry.labels, self.label_format)
            masks = [(class_id, _read_mask(path)) for class_id, path in entry.parts]
        except InputError as error:
            raise UnusableFaceError(BAD_LABELS, str(error)) from error
        shapes = {mask.shape for _, mask in masks}
        if len(shapes) != 1:
            raise UnusableFaceError(WRONG_SIZE, f"part masks of different sizes: {sorted(shapes)}")
        return from_celebamask_hq(merge_part_masks(masks, shapes.pop()))

    def batch(self, keys: list[int | tuple[int, bool]]) -> FaceBatch:
        """The faces of ``keys`` as one batch (in this process)."""
        return collate([self[key] for key in keys])


def _read_mask(path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            array = np.asarray(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(f"{os.path.basename(path)} is not a readable mask") from error
    return array[..., 0] if array.ndim == 3 else array


def collate(faces: list[LoadedFace]) -> FaceBatch:
    """Stack the faces that loaded; count the others in ``skipped``."""
    good = [face for face in faces if face.image is not None]
    skipped = SkipReport()
    for face in faces:
        for reason, name in face.failures:
            skipped.add(reason, name)
    if not good:
        return FaceBatch(
            torch.empty(0, 3, 0, 0), torch.empty(0, 0, 0, dtype=torch.long), torch.empty(0), skipped
        )
    images = np.stack([face.image for face in good])
    labels = np.stack([face.labels for face in good])
    return FaceBatch(
        images=torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1,
        labels=torch.from_numpy(labels).long(),
        ids=torch.tensor([face.index for face in good], dtype=torch.long),
        skipped=skipped,
    )


class EpochBatches:
    """Endless per-rank batches of ``(index, flip)`` keys from ``start_batch`` on.

    Each epoch is a ``DistributedSampler`` permutation (seeded by the run's seed and the epoch)
    cut into whole batches; flips are a seeded coin per (epoch, face).
    """

    def __init__(self, count: int, batch_size: int, start_batch: int, rank: int, world_size: int, seed: int):
        self.sampler = DistributedSampler(
            range(count), num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.batch_size, self.start_batch, self.seed, self.count = batch_size, start_batch, seed, count
        self.per_epoch = len(self.sampler) // batch_size
        if self.per_epoch == 0:
            raise InputError(
                f"the dataset has {count} usable faces, fewer than one step takes"
                f" ({batch_size} per process x {world_size} processes); lower --batch-size"
            )

    def __iter__(self) -> Iterator[list[tuple[int, bool]]]:
        batch = self.start_batch
        while True:
            epoch, within = divmod(batch, self.per_epoch)
            self.sampler.set_epoch(epoch)
            order = list(self.sampler)
            flips = np.random.default_rng([self.seed, epoch]).random(self.count) < 0.5
            for k in range(within, self.per_epoch):
                chosen = order[k * self.batch_size : (k + 1) * self.batch_size]
                yield [(int(i), bool(flips[i])) for i in chosen]
            batch = (epoch + 1) * self.per_epoch


class DatasetFaces:
    """Training data from a real dataset (the counterpart of ``SyntheticFaces``)."""

    def __init__(self, train: FaceDataset, validation: FaceDataset, description: dict):
        self.train, self.validation_set = train, validation
        self.description = description

    def stream(self, batch_size: int, start_batch: int, rank: int, world_size: int, workers: int, seed: int):
        batches = EpochBatches(len(self.train), batch_size, start_batch, rank, world_size, seed)
        if workers == 0:
            return (self.train.batch(keys) for keys in batches)
        loader = DataLoader(
            self.train,
            batch_sampler=batches,
            num_workers=workers,
            collate_fn=collate,
            persistent_workers=True,
        )
        return iter(loader)

    def validation(self, count: int) -> FaceBatch:
        return self.validation_set.batch(list(range(min(count, len(self.validation_set)))))
