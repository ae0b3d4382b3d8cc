"""Photo files <-> ``Photo`` records: the common formats and modes in, atomic writes out.

sRGB assumed: an embedded ICC profile is carried to the output byte for byte, never applied, so
a photo tagged Adobe RGB keeps its tag while the networks see its numbers as sRGB.

Transparency: ``Photo.rgb`` is composited on WHITE and ``Photo.alpha`` keeps the original alpha.
Transparent parts of a portrait are background, and a plain light background is what the face
detector and parser expect around a face (black, or colors hidden under alpha 0, reads as hair).
``write_photo`` divides the white matte back out where it writes alpha, so read -> write -> read
does not lighten soft edges each time.
"""

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageTooSmallError, InputError, UnreadableImageError
from ..files import WRITE_ADVICE, atomic_write

log = logging.getLogger(__name__)

MIN_PHOTO_SIDE = 64  # px on the short side: below this there is no face left to find or edit
MAX_PHOTO_PIXELS = 20000 * 20000  # 400 megapixels, 1.2 GB as uint8 RGB: the largest photo we open

# Pillow refuses more than 2 * MAX_IMAGE_PIXELS (~179 MP by default) as a decompression bomb,
# which would turn away real 10000 x 10000 scans. Lift its limit to ours (never lower it);
# read_photo itself refuses anything over MAX_PHOTO_PIXELS with a message a user can act on.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PHOTO_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS

WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}
WRITE_FORMATS |= {".tif": "TIFF", ".tiff": "TIFF"}  # suffix -> Pillow format name
IMAGE_SUFFIXES = tuple(WRITE_FORMATS)
_ALPHA_FORMATS = {"PNG", "WEBP", "TIFF"}  # JPEG and BMP get the composited (white-matted) rgb
_ICC_FORMATS = {"PNG", "JPEG", "WEBP", "TIFF"}
_EXIF_FORMATS = {"PNG", "JPEG", "WEBP"}  # a TIFF's EXIF lives in its own IFD; we do not merge it

_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112  # EXIF tag 274: 1 (stored upright) .. 8
_OPEN_ADVICE = "Open a JPEG, PNG, WebP, BMP or TIFF photo, or copy or export this one again."
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass
class Photo:
    """A decoded photo: upright 8-bit sRGB pixels, plus what its file carried for the output."""

    rgb: np.ndarray  # uint8 [H, W, 3], EXIF orientation applied, composited on white
    alpha: np.ndarray | None = None  # uint8 [H, W] when the source had transparency
    icc_profile: bytes | None = None  # embedded profile, carried to the output, never applied
    source: Path | None = None
    source_format: str = ""  # Pillow's name: "JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"
    source_mode: str = ""  # Pillow mode before conversion: "RGB", "I;16", "CMYK", "LA", "P"
    exif: bytes | None = None  # "Exif\0\0" + TIFF block, orientation reset to 1 (pixels are upright)

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def read_photo(path: str | os.PathLike) -> Photo:
    """Decode ``path`` fully into an upright ``Photo``; every failure is an ``InputError``."""
    path = Path(path)
    name = path.name
    _check_is_file(path)
    try:
        with Image.open(path) as image:
            _check_size(*image.size, name)
            image.load()  # full decode now, so truncation fails here; animations: the first frame
            fmt, mode, icc = image.format or "", image.mode, image.info.get("icc_profile") or None
            exif = image.info.get("exif")  # JPEG, PNG, WebP; a TIFF's tags are its own IFD
            exif = _upright_exif(exif) if exif else None
            ImageOps.exif_transpose(image, in_place=True)  # all 8 orientations, from EXIF or XMP
            rgb, alpha = _rgb_and_alpha(image)
    except Image.DecompressionBombError as error:
        raise InputError(_too_large_message(name, "it")) from error
    except UnidentifiedImageError as error:
        raise UnreadableImageError(f"Cannot open {name}: not an image. {_OPEN_ADVICE}") from error
    except PermissionError as error:
        raise UnreadableImageError(f"No permission to read {name}; check its permissions.") from error
    except _DECODE_ERRORS as error:  # truncated, corrupt, or a color mode Pillow cannot convert
        raise UnreadableImageError(f"{name} is damaged or unusual ({error}). {_OPEN_ADVICE}") from error
    log.debug("read %s: %s %s, %d x %d", name, fmt, mode, rgb.shape[1], rgb.shape[0])
    return Photo(rgb, alpha, icc, path, fmt, mode, exif)


def write_photo(
    photo_or_rgb: Photo | np.ndarray,
    path: str | os.PathLike,
    *,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    quality: int = 95,
) -> Path:
    """Write atomically, in the format the extension names; returns ``path``.

    A ``Photo`` brings its own alpha, ICC profile and EXIF unless they are given here. Alpha is
    written by PNG, WebP and TIFF; JPEG and BMP get the composited (white-matted) pixels.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"Cannot write {path.name}: unknown type; use {' '.join(WRITE_FORMATS)}.")
    if not path.parent.is_dir():
        raise InputError(f"Cannot write {path.name}: folder {path.parent} does not exist. Create it first.")
    rgb = photo_or_rgb
    if isinstance(photo_or_rgb, Photo):
        rgb = photo_or_rgb.rgb
        alpha = photo_or_rgb.alpha if alpha is None else alpha
        icc_profile = photo_or_rgb.icc_profile if icc_profile is None else icc_profile
        exif = photo_or_rgb.exif if exif is None else exif
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"Cannot write {path.name}: need uint8 [H, W, 3], got {rgb.dtype} {rgb.shape}.")
    if alpha is not None and (alpha.dtype != np.uint8 or alpha.shape != rgb.shape[:2]):
        raise InputError(f"Cannot write {path.name}: alpha must be uint8 {rgb.shape[:2]}, got {alpha.shape}.")
    if not 1 <= quality <= 100:
        raise InputError(f"Cannot write {path.name}: quality must be 1..100, got {quality}.")
    if alpha is not None and fmt in _ALPHA_FORMATS:
        image = Image.fromarray(np.dstack([_unmatte_white(rgb, alpha), alpha]))  # [H, W, 4]
    else:
        image = Image.fromarray(np.ascontiguousarray(rgb))
    options: dict[str, object] = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "JPEG":
        options["subsampling"] = 0  # 4:4:4; 4:2:0 would blur the colored edges of lips and eyes
    if icc_profile and fmt in _ICC_FORMATS:
        options["icc_profile"] = icc_profile
    if exif and fmt in _EXIF_FORMATS:
        options["exif"] = _upright_exif(exif)  # the pixels we write are upright, whatever exif said
    try:
        return atomic_write(path, lambda temp: image.save(temp, format=fmt, **options))
    except (OSError, ValueError) as error:  # disk full, read-only folder, EXIF too long for JPEG
        reason = getattr(error, "strerror", None) or error
        raise InputError(f"Could not write {path.name}: {reason}. {WRITE_ADVICE}") from error


def downscaled(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``rgb`` shrunk (INTER_AREA) to a long side <= ``max_side``, and the scale: divide coordinates
    found in the small image by it to map them back. A small enough ``rgb`` comes back as is, 1.0."""
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1, got {max_side}")
    height, width = rgb.shape[:2]
    if max(height, width) <= max_side:
        return rgb, 1.0
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # cv2 takes (w, h)
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA), scale


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise UnreadableImageError(f"{path.name} not found in {path.parent.resolve()}; check the path.")
    if path.is_dir():
        raise UnreadableImageError(f"Cannot open {path.name}: it is a folder. Choose an image file in it.")
    if path.stat().st_size == 0:
        raise UnreadableImageError(f"Cannot open {path.name}: the file is empty. {_OPEN_ADVICE}")


def _too_large_message(name: str, size: str) -> str:
    return (
        f"Cannot open {name}: {size} is larger than the {MAX_PHOTO_PIXELS / 1e6:.0f}-megapixel limit "
        "(20000 x 20000 pixels). Downscale it in a photo editor and open it again."
    )


def _check_size(width: int, height: int, name: str) -> None:
    """Refuse from the header alone, before decoding a byte of pixels."""
    if width * height > MAX_PHOTO_PIXELS:
        raise InputError(_too_large_message(name, f"{width} x {height} pixels"))
    if min(width, height) < MIN_PHOTO_SIDE:
        raise ImageTooSmallError(
            f"{name} is only {width} x {height} pixels; a face needs a photo with at least "
            f"{MIN_PHOTO_SIDE} pixels on its short side. Open a larger photo."
        )


def _upright_exif(block: bytes) -> bytes:
    """``block`` with IFD0's orientation set to 1, patched in place so maker notes keep their offsets."""
    block = block if block.startswith(_EXIF_HEADER) else _EXIF_HEADER + block
    tiff = block[len(_EXIF_HEADER) :]
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind = struct.unpack_from(order + "HH", tiff, entry)
            if tag == _ORIENTATION and kind in (3, 4):  # SHORT (or LONG): the value is inline
                patched = bytearray(block)
                struct.pack_into(order + "HI"[kind - 3], patched, len(_EXIF_HEADER) + entry + 8, 1)
                return bytes(patched)
    except (KeyError, struct.error):  # not a TIFF structure: nothing a reader would rotate by
        pass
    return block


def _rgb_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 [H, W, 3] composited on white, and uint8 [H, W] alpha if ``image`` has any."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16/32-bit integer or float grayscale
        gray = _gray_to_8bit(np.asarray(image), mode)  # [H, W]
        return np.repeat(gray[..., None], 3, axis=2), None
    palette_alpha = mode == "P" and image.palette is not None and image.palette.mode.endswith("A")
    if not (mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info or palette_alpha):
        return np.array(image if mode == "RGB" else image.convert("RGB")), None
    rgba = np.asarray(image.convert("RGBA"))  # [H, W, 4]
    alpha = rgba[..., 3].copy()
    return _matte_white(rgba[..., :3], alpha), alpha


def _gray_to_8bit(values: np.ndarray, mode: str) -> np.ndarray:
    """[H, W] 16/32-bit or float gray -> uint8, scaled by its depth, never clipped at 255."""
    if mode == "F":
        values = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        scale = 255.0 if values.max(initial=0.0) <= 1.0 else 1.0  # 0..1 floats, else 0..255
        return np.clip(np.round(values * scale), 0, 255).astype(np.uint8)
    if mode.startswith("I;16"):
        return (values.astype(np.uint16) >> 8).astype(np.uint8)
    # "I" is a 32-bit container: judge the depth by the values actually present.
    values = np.clip(values.astype(np.int64), 0, None)
    peak = int(values.max(initial=0))
    if peak <= 255:
        return values.astype(np.uint8)
    if peak <= 65535:
        return (values >> 8).astype(np.uint8)
    return (values * 255 // peak).astype(np.uint8)


def _matte_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite [H, W, 3] over white by [H, W] alpha; uint16 holds 255 * 255 + 127 exactly."""
    a = alpha[..., None].astype(np.uint16)  # [H, W, 1]
    return ((rgb.astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def _unmatte_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Inverse of ``_matte_white`` where alpha > 0: the foreground colors before the matte."""
    a = alpha[..., None].astype(np.float32) / 255  # [H, W, 1]
    color = (rgb.astype(np.float32) - 255 * (1 - a)) / np.maximum(a, 1 / 255)
    return np.where(a > 0, np.clip(np.round(color), 0, 255), rgb).astype(np.uint8)
