"""Label-map files and image tensors (photos themselves: ``e4s_core.photo.io``). Writes are atomic."""

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from . import regions
from .errors import InputError
from .files import atomic_write

# How a label image codes its regions: the name a command takes -> what a person calls it.
LABEL_FORMAT_TITLES = {
    "e4s": "E4S 12-class",
    "celebamask-hq": "CelebAMask-HQ",
    "bisenet": "BiSeNet",
    "color": "Color",
}
LABEL_FORMATS = tuple(LABEL_FORMAT_TITLES)


def read_labels(path: str | os.PathLike, label_format: str = "e4s") -> np.ndarray:
    """uint8 [H, W] with the 12 E4S region ids, from any of ``LABEL_FORMATS``."""
    if label_format not in LABEL_FORMATS:
        raise InputError(f"label format must be one of {LABEL_FORMATS}, got {label_format!r}")
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB") if label_format == "color" else image)
    except FileNotFoundError as error:
        raise InputError(f"Label map not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise InputError(f"{Path(path).name} is not a readable label image") from error
    try:
        if label_format == "color":
            return regions.from_color_mask(array)
        if array.ndim != 2:
            raise ValueError(f"a label map must be single-channel, got shape {array.shape}")
        if label_format == "celebamask-hq":
            return regions.from_celebamask_hq(array)
        if label_format == "bisenet":
            return regions.from_bisenet(array)
        regions.validate_labels(array)
        return array.astype(np.uint8)
    except ValueError as error:
        raise InputError(f"{Path(path).name}: {error}") from error


def image_to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 [H, W, 3] -> float32 [1, 3, H, W] in [-1, 1] (the authors' normalisation)."""
    return (torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1)[None].float() / 255 - 0.5) / 0.5


def labels_to_tensor(labels: np.ndarray) -> torch.Tensor:
    """uint8 [h, w] region ids -> int64 [1, h, w], the batch of one that the model takes."""
    return torch.from_numpy(np.ascontiguousarray(labels)).long()[None]


def tensor_to_image(image: torch.Tensor) -> np.ndarray:
    """[1, 3, H, W] or [3, H, W] in [-1, 1] -> uint8 [H, W, 3] (clipped, rounded)."""
    if image.ndim == 4:
        image = image[0]
    scaled = ((image.detach().float().cpu() + 1) * 127.5).round().clamp(0, 255)
    return scaled.to(torch.uint8).permute(1, 2, 0).numpy()


def check_writable_image_path(path: str | os.PathLike) -> Path:
    """Fail early, before any work, if ``path`` cannot take an image."""
    path = Path(path)
    if path.suffix.lower() not in Image.registered_extensions():
        raise InputError(f"Cannot write {path.name}: unknown image type; use .png or .jpg.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path.name}: folder {folder} does not exist.")
    return path


def write_image(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an image atomically (temp file + rename): a failure leaves no half-written file."""
    path = check_writable_image_path(path)
    image = Image.fromarray(array)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        return atomic_write(path, lambda temp: image.save(temp, format="JPEG", quality=95))
    return atomic_write(
        path, lambda temp: image.save(temp, format=Image.registered_extensions()[path.suffix.lower()])
    )
