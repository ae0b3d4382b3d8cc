"""Mask operations and a colour model, shared by the landmark parser and its detectors.

Masks are bool [H, W]; radii and sizes are in pixels of the map they apply to.
"""

from __future__ import annotations

import cv2
import numpy as np


def fill_polygons(shape: tuple[int, int], *polygons: np.ndarray) -> np.ndarray:
    """bool ``shape``: the polygons ([N, 2] x, y each) filled."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in polygons], 1)
    return mask.astype(bool)


def disk(radius: int) -> np.ndarray:
    """uint8 structuring element: a disk ``2 * radius + 1`` pixels across."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def morph(mask: np.ndarray, radius: int, op: int = cv2.MORPH_DILATE) -> np.ndarray:
    """``mask`` dilated (or eroded, opened, closed: ``op``) by a disk of ``radius``."""
    return cv2.morphologyEx(mask.astype(np.uint8), op, disk(radius)).astype(bool)


def smooth(mask: np.ndarray, size: int = 5) -> np.ndarray:
    """Median-filtered bool mask: removes specks and fills pinholes along a region's edge."""
    return cv2.medianBlur(mask.astype(np.uint8) * 255, size) > 127


GRABCUT_SEED = 0  # GrabCut's k-means starts from OpenCV's per-thread RNG: seeded, same input, same cut


def grabcut(image: np.ndarray, mask: np.ndarray, iterations: int) -> None:
    """OpenCV's GrabCut of uint8 RGB ``image`` from ``mask`` (cv2.GC_* per pixel), updated in place."""
    cv2.setRNGSeed(GRABCUT_SEED)
    cv2.grabCut(image, mask, None, np.zeros((1, 65)), np.zeros((1, 65)), iterations, cv2.GC_INIT_WITH_MASK)


def touching(candidates: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The connected components of ``candidates`` (bool [H, W]) that contain a seed pixel."""
    count, labels = cv2.connectedComponents(candidates.astype(np.uint8), connectivity=4)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[seeds & candidates])] = True
    keep[0] = False
    return keep[labels]


class ColourModel:
    """A colour model: mean and covariance of Lab pixels [N, 3]; ``distance`` is Mahalanobis."""

    def __init__(self, pixels: np.ndarray, light_var: float = 400.0, chroma_var: float = 1.0):
        pixels = pixels.astype(np.float64)
        # Shading changes lightness far more than chroma: the extra L variance keeps shadowed skin
        # (and sunlit hair) in its class.
        for _ in range(2):  # refit on the 85% closest pixels so shadows and specks do not widen it
            mean, cov = pixels.mean(0), np.cov(pixels.T) + np.diag([light_var, chroma_var, chroma_var])
            inv = np.linalg.inv(cov)
            diff = pixels - mean
            dist = ((diff @ inv) * diff).sum(1)
            pixels = pixels[dist <= np.quantile(dist, 0.85)]
        self.mean, self.inv = mean, inv

    def distance(self, lab: np.ndarray) -> np.ndarray:
        # The quadratic form written out over the three channel planes: ten times faster than a
        # per-pixel matrix product, and the parser calls this about ten times per face.
        x, y, z = (lab[..., k].astype(np.float32) - np.float32(self.mean[k]) for k in range(3))
        m = self.inv.astype(np.float32)
        d2 = m[0, 0] * x * x + m[1, 1] * y * y + m[2, 2] * z * z
        d2 += 2 * (m[0, 1] * x * y + m[0, 2] * x * z + m[1, 2] * y * z)
        return np.sqrt(np.maximum(d2, 0))
