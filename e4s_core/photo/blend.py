"""Seam-free compositing: multi-band (Burt-Adelson) blending and feathered masks.

``laplacian_blend`` blends each spatial frequency band of two images with a mask blurred to that
band's scale, so fine detail switches over a few pixels while colour and lighting differences fade
over a wide band: no visible seam. It works on the difference ``foreground - background`` (the
Laplacian pyramid is linear), which halves memory and makes the output *exactly* the background
wherever the mask's pyramid is zero. ``pyramid_reach`` bounds how far that influence spreads, which
``paste.py`` uses to leave every other photo pixel bit-identical.
"""

from __future__ import annotations

import cv2
import numpy as np

from e4s_core.errors import InputError

# The coarsest pyramid level keeps at least this many pixels on its smaller side.
MIN_TOP_SIDE = 8


def pyramid_levels(height: int, width: int, levels: int | None = None) -> int:
    """Number of pyramid levels (bands, the finest included) usable for an image of this size.

    ``levels=None`` gives as many as the smaller side allows before the top level drops below
    ``MIN_TOP_SIDE`` pixels; an explicit request is capped at that number (at least 1).
    """
    side = min(height, width)
    usable = 1
    while (side + 1) // 2 >= MIN_TOP_SIDE:
        side = (side + 1) // 2
        usable += 1
    if levels is None:
        return usable
    if levels < 1:
        raise InputError(f"Blending needs at least 1 pyramid level, got {levels}.")
    return min(int(levels), usable)


def pyramid_reach(levels: int) -> int:
    """How far (pixels, per axis) a blend with ``levels`` levels can move pixels beyond the mask.

    OpenCV's pyrDown/pyrUp use a 5-tap kernel: a level-k pixel sees base pixels within
    2 * (2**k - 1) of its centre, and pyrUp spreads it back by as much, so the band at the
    coarsest level k = levels - 1 reaches 4 * (2**k - 1). Finer bands reach less.
    """
    return 4 * (2 ** (max(levels, 1) - 1) - 1)


def _check_pair(foreground: np.ndarray, background: np.ndarray, mask: np.ndarray) -> None:
    for name, image in (("foreground", foreground), ("background", background)):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise InputError(
                f"The {name} image must be an RGB uint8 array [H, W, 3]; "
                f"got {image.dtype} with shape {image.shape}."
            )
    if foreground.shape != background.shape:
        raise InputError(
            f"Foreground {foreground.shape[:2]} and background {background.shape[:2]} must have "
            "the same size to be blended."
        )
    if mask.shape != foreground.shape[:2]:
        raise InputError(f"The blend mask must be [H, W] = {foreground.shape[:2]}, got shape {mask.shape}.")


def laplacian_blend(
    foreground: np.ndarray, background: np.ndarray, mask: np.ndarray, levels: int | None = None
) -> np.ndarray:
    """Multi-band blend of ``foreground`` over ``background``; mask 1 = foreground.

    foreground, background: uint8 [H, W, 3], any size (odd sizes included); mask: float [H, W]
    in [0, 1] (bool also accepted). Returns uint8 [H, W, 3], rounded and clipped. With one level
    this is a plain alpha composite.
    """
    _check_pair(foreground, background, mask)
    height, width = mask.shape
    n_levels = pyramid_levels(height, width, levels)

    alpha = np.clip(mask.astype(np.float32), 0.0, 1.0)  # [H, W]
    diff = foreground.astype(np.float32)
    diff -= background  # [H, W, 3]; Laplacian(fg) - Laplacian(bg) = Laplacian(fg - bg)

    gauss = [diff]  # Gaussian pyramid of the difference, finest first
    alphas = [alpha]  # Gaussian pyramid of the mask: the per-band blend weights
    for _ in range(n_levels - 1):
        gauss.append(cv2.pyrDown(gauss[-1]))
        alphas.append(cv2.pyrDown(alphas[-1]))

    for k in range(n_levels - 1):  # fine to coarse, so level k + 1 is still Gaussian here
        size = (gauss[k].shape[1], gauss[k].shape[0])
        gauss[k] -= cv2.pyrUp(gauss[k + 1], dstsize=size)  # now the Laplacian band k

    # Collapse coarse to fine: result_k = band_k * alpha_k + up(result_{k+1}).
    result = gauss[-1] * alphas[-1][..., None]
    for k in range(n_levels - 2, -1, -1):
        size = (gauss[k].shape[1], gauss[k].shape[0])
        band = gauss[k]
        band *= alphas[k][..., None]
        band += cv2.pyrUp(result, dstsize=size)
        result = band
        gauss[k + 1] = alphas[k + 1] = None  # free coarse levels early on big images

    result += background
    np.rint(result, out=result)
    return np.clip(result, 0, 255).astype(np.uint8)


def feathered_mask(binary: np.ndarray, radius: float) -> np.ndarray:
    """Soft mask (float32 [H, W]) that ramps from 0 at the border of ``binary`` to 1 ``radius``
    pixels inside it, with a cosine profile (smooth at both ends).

    The soft edge lies entirely *inside* the region: a pixel outside ``binary`` is always 0, so
    pasting with this mask never reaches past the region. The image frame is not a border (a
    region touching it stays 1 there), which suits masks clipped by the photo's edge.
    """
    binary = np.asarray(binary)
    if binary.ndim != 2:
        raise InputError(f"A mask must be a 2-D array [H, W], got shape {binary.shape}.")
    inside = (binary > 0.5).astype(np.uint8)  # bool, 0/1, 0/255 and soft float masks alike
    if radius <= 0:
        return inside.astype(np.float32)
    # Distance of each inside pixel to the nearest outside pixel (1 for the border row).
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)  # [H, W] float32
    t = np.clip((depth - 0.5) / np.float32(radius), 0.0, 1.0)
    soft = 0.5 - 0.5 * np.cos(np.pi * t)
    soft[inside == 0] = 0.0
    return soft.astype(np.float32)
