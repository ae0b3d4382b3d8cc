"""Label-map files and image tensors (photos themselves: ``e4s_core.photo.io``). Writes are atomic."""

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from . import regions
from .errors import InputError
from .files import atomic_write, check_output_path

# How a label image codes its regions: the name a command takes -> what a person calls it.
LABEL_FORMAT_TITLES = {
    "e4s": "E4S 12-class",
    "celebamask-hq": "CelebAMask-HQ",
    "bisenet": "BiSeNet",
    "color": "Color",
}
LABEL_FORMATS = tuple(LABEL_FORMAT_TITLES)
# Label maps are ids: only lossless files keep them (JPEG moves ids along every border).
LABEL_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")
MAX_LABEL_SIDE = 8192  # a label map this big is already 64 MB; larger is a mistake or a bomb


def read_labels(path: str | os.PathLike, label_format: str = "e4s") -> np.ndarray:
    """uint8 [H, W] with the 12 E4S region ids, from any of ``LABEL_FORMATS``."""
    if label_format not in LABEL_FORMATS:
        raise InputError(f"label format must be one of {LABEL_FORMATS}, got {label_format!r}")
    name = Path(path).name
    try:
        with Image.open(path) as image:
            lossy = _lossy_compression(image, path)
            if lossy:
                raise InputError(
                    f"{name} is {lossy}: lossy compression changes region ids along every border."
                    " Save label maps as PNG."
                )
            if max(image.size) > MAX_LABEL_SIDE:
                raise InputError(
                    f"{name} is {image.size[0]}x{image.size[1]}; label maps are at most {MAX_LABEL_SIDE} px."
                )
            array = np.asarray(image.convert("RGB") if label_format == "color" else image)
    except FileNotFoundError as error:
        raise InputError(f"Label map not found: {path}") from error
    except IsADirectoryError as error:
        raise InputError(f"{path} is a folder, not a label image.") from error
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError) as error:
        raise InputError(f"{name} is not a readable label image") from error
    try:
        if label_format == "color":
            return regions.from_color_mask(array)
        if array.ndim == 3 and array.shape[2] in (3, 4) and (array[..., :3] == array[..., :1]).all():
            array = array[..., 0]  # ids saved as a grey RGB image: every channel holds them
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


def _lossy_compression(image: Image.Image, path) -> str:
    """What lossy compression ``image`` was stored with ("" if none we can tell)."""
    if image.format in ("JPEG", "MPO"):
        return "a JPEG"
    if image.format == "TIFF" and "jpeg" in str(image.info.get("compression", "")):
        return "a JPEG-compressed TIFF"
    if image.format == "WEBP":
        with open(path, "rb") as stream:  # the first image chunk says: VP8 lossy, VP8L lossless
            head = stream.read(4096)
        first = min((i for i in (head.find(b"VP8 "), head.find(b"VP8L")) if i >= 0), default=-1)
        if first >= 0 and head[first : first + 4] == b"VP8 ":
            return "a lossy WebP"
    return ""


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


def write_labels(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write a label map or a colour mask, atomically, in a lossless format (``LABEL_SUFFIXES``)."""
    path = check_output_path(path, LABEL_SUFFIXES, "a label map")
    image = Image.fromarray(np.ascontiguousarray(array))
    save_format = Image.registered_extensions()[path.suffix.lower()]
    return atomic_write(path, lambda temp: image.save(temp, format=save_format))
