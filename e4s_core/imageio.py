"""Image and label-map files <-> the tensors the network takes. Writes are atomic."""

import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from . import regions
from .errors import InputError

LABEL_FORMATS = ("e4s", "celebamask-hq", "bisenet", "color")


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """uint8 [H, W, 3], EXIF orientation applied."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB")).copy()
    except FileNotFoundError as error:
        raise InputError(f"Image not found: {path}") from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise InputError(f"{Path(path).name} is not a readable image (corrupt or truncated?)") from error


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
    return (torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255 - 0.5) / 0.5


def tensor_to_image(image: torch.Tensor) -> np.ndarray:
    """[1, 3, H, W] or [3, H, W] in [-1, 1] -> uint8 [H, W, 3] (clipped, rounded)."""
    if image.ndim == 4:
        image = image[0]
    scaled = ((image.detach().float().cpu() + 1) * 127.5).round().clamp(0, 255)
    return scaled.to(torch.uint8).permute(1, 2, 0).numpy()


def write_image(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an image with a temp file + rename, so a failure leaves no half-written file."""
    path = Path(path)
    suffix = path.suffix.lower() or ".png"
    handle, temp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent or ".")
    os.close(handle)
    try:
        Image.fromarray(array).save(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
