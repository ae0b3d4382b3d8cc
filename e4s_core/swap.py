"""Face swapping as E4S does it: a shape swap of the two region maps, a texture swap of the vectors.

Both steps are parameter-free in the paper; every choice the authors made is a parameter here
with their value as the default (e4s-design.md section 4.3, steps 7 and 8):

    labels, holes = recompose_masks(source_labels, target_labels)          # the shape swap
    vectors = swap_textures(source_vectors, target_vectors)                # the texture swap
    vectors = swap_amount(vectors, target_vectors, amount=0.3)             # controllable (λ)

Plain numpy on 12-class maps (uint8 [H, W], both the same size) and [R, V] vectors. Hair
transfer (``transfer_hair``) recomposes only the hair.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from .errors import InputError
from .regions import REGION_BY_NAME

_ID = {name: region.id for name, region in REGION_BY_NAME.items()}
BACKGROUND, LIP, BROWS, EYES, HAIR = (_ID[n] for n in ("background", "lip", "eyebrows", "eyes", "hair"))
NOSE, SKIN, EARS, NECK, MOUTH = (_ID[n] for n in ("nose", "skin", "ears", "belowface", "mouth"))
GLASSES, EARRINGS = _ID["eye_glass"], _ID["ear_rings"]

# The source's inner face: what a face swap moves (step 7c).
INNER_FACE = (LIP, BROWS, EYES, NOSE, SKIN, MOUTH)
# The target keeps these vectors in a texture swap (step 8): its own background, hair, glasses, earrings.
TARGET_KEEPS = (BACKGROUND, HAIR, GLASSES, EARRINGS)
_UNSET = 255


def recompose_masks(
    source: np.ndarray, target: np.ndarray, hair_first: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The shape swap: (labels uint8 [H, W], holes bool [H, W]).

    The target's neck, ears and earrings, then (hair first) its hair; the source's inner face
    over them wherever the target is not background; (face first) the target's hair over the
    face instead; the target's glasses on top. Target face area the source face does not cover
    is a hole: skin, and marked in ``holes``. ``hair_first=False`` suits bangs over the brows.
    """
    source, target = np.asarray(source), np.asarray(target)
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(
            f"the two label maps must be 2-D and the same size, got {source.shape} and {target.shape}"
        )
    labels = np.full(target.shape, _UNSET, np.uint8)
    background = target == BACKGROUND
    for region in (NECK, EARS, EARRINGS):
        labels[target == region] = region
    if hair_first:
        labels[target == HAIR] = HAIR
    face = np.isin(source, INNER_FACE) & ~background
    labels[face] = source[face]
    if not hair_first:
        labels[target == HAIR] = HAIR
    labels[target == GLASSES] = GLASSES
    holes = (labels == _UNSET) & ~background
    labels[holes] = SKIN
    labels[background] = BACKGROUND
    return labels, holes


def swap_textures(
    source: np.ndarray,
    target: np.ndarray,
    keep: Iterable[int] = TARGET_KEEPS,
    ears_fallback: str = "mean",
    mouth_fallback: str = "target",
) -> np.ndarray:
    """The texture swap: the target's vectors [R, V] with the source's for every region not in ``keep``.

    A region the source lacks has an all-zero vector; the authors' fallbacks then: ears take the
    mean of the two faces' vectors ("mean"), the inner mouth keeps the target's ("target");
    "source" takes the source's anyway.
    """
    source, target = np.asarray(source, np.float32), np.asarray(target, np.float32)
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f"the vectors must be [R, V] and alike, got {source.shape} and {target.shape}")
    swapped = target.copy()
    kept = set(keep)
    for region in range(target.shape[0]):
        if region not in kept:
            swapped[region] = source[region]
    for region, fallback in ((EARS, ears_fallback), (MOUTH, mouth_fallback)):
        if region in kept or np.any(source[region]):
            continue
        if fallback == "mean":
            swapped[region] = (source[region] + target[region]) / 2
        elif fallback == "target":
            swapped[region] = target[region]
        elif fallback != "source":
            raise ValueError(f"a fallback is 'mean', 'target' or 'source', got {fallback!r}")
    return swapped


def swap_amount(swapped: np.ndarray, target: np.ndarray, amount: float) -> np.ndarray:
    """The controllable swap (supplement 8.3): λ·target + (1 - λ)·swapped; λ = 0 is the full
    swap, λ = 1 the target's own vectors. ``amount`` is λ."""
    if not 0 <= amount <= 1:
        raise InputError(f"the swap amount λ must be between 0 and 1, got {amount}")
    return (amount * np.asarray(target, np.float32) + (1 - amount) * np.asarray(swapped, np.float32)).astype(
        np.float32
    )


def transfer_hair(person: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Hair transfer with shape: the reference's hair region on the person (uint8 [H, W]).

    The person's hair is taken away, the reference's hair put in its place, and the person's face
    (inner face, glasses) stays on top. Pixels that were hair and no longer are take the label of
    the nearest pixel that was never hair, except that skin only spreads within the head (an
    ellipse around the person's face, reaching a quarter higher for the forehead): an uncovered
    forehead becomes skin, an uncovered ear ear, and what was above the head background.
    """
    person, reference = np.asarray(person), np.asarray(reference)
    if person.shape != reference.shape or person.ndim != 2:
        raise ValueError(
            f"the two label maps must be 2-D and the same size, got {person.shape} and {reference.shape}"
        )
    labels = person.copy()
    uncovered = person == HAIR
    if uncovered.any() and not uncovered.all():
        # distanceTransformWithLabels numbers the zero pixels (never hair) in row-major order.
        _, nearest = cv2.distanceTransformWithLabels(
            uncovered.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE, labelType=cv2.DIST_LABEL_PIXEL
        )
        rows, cols = np.nonzero(~uncovered)
        fill = person[rows, cols][nearest - 1]
        facelike = np.isin(fill, (*INNER_FACE, GLASSES))
        fill[facelike] = SKIN
        fill[facelike & ~_head(person)] = BACKGROUND
        labels[uncovered] = fill[uncovered]
    labels[reference == HAIR] = HAIR
    face = np.isin(person, (*INNER_FACE, GLASSES))
    labels[face] = person[face]
    return labels


def _head(labels: np.ndarray) -> np.ndarray:
    """bool [H, W]: the ellipse of the face's (inner face regions') moments, a quarter taller upwards."""
    rows, cols = np.nonzero(np.isin(labels, INNER_FACE))
    if rows.size < 3:
        return np.zeros(labels.shape, bool)
    centre = np.array([cols.mean(), rows.mean()])
    spread, directions = np.linalg.eigh(np.cov(np.stack([cols, rows])) + 1e-3 * np.eye(2))
    half_axes = 2 * np.sqrt(spread) + 0.5  # a filled ellipse's semi-axis is twice its deviation
    ys, xs = np.mgrid[: labels.shape[0], : labels.shape[1]]
    offset = np.stack([xs - centre[0], ys - centre[1]], axis=-1) @ directions  # [H, W, 2]
    upward = ys < centre[1]
    stretch = np.where(upward, 1.25, 1.05)[..., None]  # the forehead the hair hid
    return (((offset / (half_axes * stretch)) ** 2).sum(-1)) <= 1
