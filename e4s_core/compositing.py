"""Real photos stay photos: the edited crop is the photo plus the model's change, where it was edited.

No model reconstructs a real face exactly (the authors' reaches about 20 dB), so the result is
never the raw render. From the photo's aligned crop, its original state (parsed labels,
vectors) and an edited state, ``Compositor.composite`` builds the edited crop at the crop's own
resolution, whatever the model's:

- **Untouched pixels** (regions whose labels and texture did not change, farther than
  ``EDIT_SPREAD`` from an edited region) are the photo's own, bit for bit.
- **Texture edits** add the model's change, render(edited) - render(original), to the photo in
  CIELAB, low-passed to the model's scale, so the photo's detail and lighting stay. Two photo
  statistics of each region (its ``RegionLooks``: mean Lab, and the spread of its fine detail in
  L*) correct what the model gets wrong. The region's mean moves to the target's mean (a
  reference photo's region, mixed by the edit's amount), not to the model's reconstruction of
  it, so the model's colour error does not land in the photo. And the photo's detail in L* is
  scaled by target detail / photo detail: strand contrast grows with lightness (dark hair shows
  little L* variation, blond hair a lot), so dark hair turned blond keeps visible strands
  instead of a flat, washed-out wash, and the reverse does not come out noisy. Hue and chroma
  move by the change in a*, b* (no scaling: the photo's chroma detail is mostly noise).
- **Shape edits** (pixels whose label changed) show the model's render there, shifted to the
  region's target mean colour, blended over ``SHAPE_REACH`` with a multi-band blend.

Lengths are given for a 1024 px crop and scale with the crop. Plain numpy/OpenCV, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import InputError
from .photo.blend import feathered_mask, laplacian_blend, pyramid_reach
from .photo.masks import disk
from .regions import NUM_REGIONS

REFERENCE_SIDE = 1024  # lengths below are pixels of a crop this size
DETAIL_SIGMA = 2.0  # Gaussian sigma splitting a photo's fine detail from its base
EDIT_SPREAD = 8.0  # an edited region's change fades out over this far beyond its border
SHAPE_REACH = 6.0  # a reshaped area's render blends into its surroundings over this far
LOOK_ERODE = 4  # region statistics skip this many border pixels (labels are never exact there)
GAIN_RANGE = (0.5, 2.0)  # how much a region's fine detail may be weakened or strengthened
SHAPE_BLEND_LEVELS = 4  # at 1024 px; one fewer per halving, so the blend's reach scales with the crop
WORK_SIDE = 512  # the smooth change is built at this size (the model's detail is coarser)


@dataclass(frozen=True)
class RegionLooks:
    """Per region: mean CIELAB colour [R, 3] and fine-detail spread of L* [R] (NaN: absent)."""

    mean: np.ndarray  # float32 [R, 3]
    detail: np.ndarray  # float32 [R]

    def to_array(self) -> np.ndarray:
        return np.concatenate([self.mean, self.detail[:, None]], axis=1).astype(np.float32)  # [R, 4]

    @classmethod
    def from_array(cls, array: np.ndarray) -> RegionLooks:
        array = np.asarray(array, np.float32)
        if array.shape != (NUM_REGIONS, 4):
            raise InputError(f"region looks must be [{NUM_REGIONS}, 4], got {array.shape}")
        return cls(array[:, :3].copy(), array[:, 3].copy())

    def mixed(self, other: RegionLooks, regions, amount: float) -> RegionLooks:
        """These looks with ``regions`` moved ``amount`` of the way to ``other``'s (where it has them)."""
        if not 0 <= amount <= 1:
            raise InputError(f"a mix of looks must be between 0 and 1, got {amount}")
        mean, detail = self.mean.copy(), self.detail.copy()
        for r in regions:
            if np.isfinite(other.detail[r]) and np.isfinite(self.detail[r]):
                mean[r] = (1 - amount) * mean[r] + amount * other.mean[r]
                detail[r] = (1 - amount) * detail[r] + amount * other.detail[r]
        return RegionLooks(mean, detail)


def _scaled(length: float, side: int) -> float:
    return length * side / REFERENCE_SIDE


def _lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] RGB -> float32 CIELAB (L* 0..100)."""
    return cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)


def _fine_detail(lightness: np.ndarray, side: int) -> np.ndarray:
    sigma = _scaled(DETAIL_SIGMA, side)
    return lightness - cv2.GaussianBlur(lightness, (0, 0), sigma)


def _labels_at(labels: np.ndarray, side: int) -> np.ndarray:
    labels = np.asarray(labels, np.uint8)
    if labels.shape == (side, side):
        return labels
    return cv2.resize(labels, (side, side), interpolation=cv2.INTER_NEAREST)


def region_looks(crop: np.ndarray, labels: np.ndarray) -> RegionLooks:
    """The looks of an aligned face crop (uint8 [S, S, 3]) under its labels (any size)."""
    side = crop.shape[0]
    lab = _lab(crop)
    return _looks(lab, _fine_detail(lab[..., 0], side), _labels_at(labels, side))


def _looks(lab: np.ndarray, detail: np.ndarray, labels: np.ndarray) -> RegionLooks:
    side = labels.shape[0]
    erode = max(1, round(_scaled(LOOK_ERODE, side)))
    kernel = np.ones((2 * erode + 1, 2 * erode + 1), np.uint8)
    mean = np.full((NUM_REGIONS, 3), np.nan, np.float32)
    spread = np.full(NUM_REGIONS, np.nan, np.float32)
    for r in np.unique(labels):
        region = labels == r
        inner = cv2.erode(region.astype(np.uint8), kernel).astype(bool)
        pixels = inner if inner.sum() >= 16 else region  # thin regions: all their pixels
        mean[r] = lab[pixels].mean(axis=0)
        spread[r] = detail[pixels].std()
    return RegionLooks(mean, spread)


@dataclass
class Composite:
    crop: np.ndarray  # uint8 [S, S, 3]: the photo's crop with the edit
    changed: np.ndarray  # bool [S, S]: the pixels that may differ from the photo's crop


class Compositor:
    """One photo crop, prepared once; ``composite`` then costs tens of milliseconds per edit."""

    def __init__(self, crop: np.ndarray, labels: np.ndarray):
        """crop: the photo's aligned face, uint8 [S, S, 3]; labels: its parsed map (any size)."""
        crop = np.asarray(crop)
        if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] != crop.shape[1]:
            raise InputError(f"the face crop must be uint8 [S, S, 3], got {crop.dtype} {crop.shape}")
        self.crop, self.side = crop, crop.shape[0]
        self.labels = _labels_at(labels, self.side)  # [S, S]
        self.lab = _lab(crop)  # [S, S, 3]
        self.detail = _fine_detail(self.lab[..., 0], self.side)  # [S, S]
        self.looks = _looks(self.lab, self.detail, self.labels)

    def composite(
        self,
        original_render: np.ndarray,
        edited_render: np.ndarray,
        edited_labels: np.ndarray,
        texture_regions,
        targets: RegionLooks | None = None,
        replaced: np.ndarray | None = None,
    ) -> Composite:
        """The photo with the edit that turned ``original_render`` into ``edited_render``.

        Renders: uint8 [M, M, 3] at any model size, of the original state (the parsed labels,
        the photo's vectors) and the edited one. ``edited_labels``: the edited map (any size);
        pixels whose label differs from the parsed one are shape edits. ``texture_regions``:
        the regions whose vectors changed. ``targets``: the looks the edit aims at; without
        them the model's change is used as it is. ``replaced`` (bool, any size): where the
        photo gives way to the generated face whatever changed (a face swap), like a shape edit.
        """
        side = self.side
        for name, render in (("original", original_render), ("edited", edited_render)):
            render = np.asarray(render)
            if (
                render.dtype != np.uint8
                or render.ndim != 3
                or render.shape[2] != 3
                or render.shape[0] != render.shape[1]
            ):
                raise InputError(
                    f"the {name} render must be uint8 [M, M, 3], got {render.dtype} {render.shape}"
                )
        if original_render.shape != edited_render.shape:
            raise InputError(f"the renders differ in size: {original_render.shape} and {edited_render.shape}")
        labels = _labels_at(edited_labels, side)
        reshaped = labels != self.labels  # [S, S]
        if replaced is not None:
            reshaped |= _labels_at(np.asarray(replaced, np.uint8), side) > 0
        textured = np.isin(labels, sorted({int(r) for r in texture_regions})) & ~reshaped
        result = self.crop.copy()
        changed = np.zeros((side, side), bool)
        if textured.any():
            # The change is smooth (the model's scale), so it is built at WORK_SIDE and only
            # added to the photo at full size, inside the edit's bounding box.
            work = min(side, WORK_SIDE)
            change = self._texture_change(original_render, edited_render, labels, textured, targets, work)
            change = cv2.resize(change, (side, side), interpolation=cv2.INTER_LINEAR)  # [S, S, 4]
            changed = change[..., 4] > 0
            top, bottom, left, right = _box(changed)
            box = np.s_[top:bottom, left:right]
            lab = self.lab[box] + change[box][..., :3]
            lab[..., 0] += change[box][..., 3] * self.detail[box]
            result[box] = _to_rgb(lab)
        if reshaped.any():
            blended = self._reshape(result, edited_render, labels, reshaped, targets)
            changed |= blended
        np.copyto(result, self.crop, where=~changed[..., None])  # untouched pixels: the photo's own
        return Composite(result, changed)

    def _texture_change(
        self, original, edited, labels, textured, targets: RegionLooks | None, work: int
    ) -> np.ndarray:
        """[W, W, 5]: weighted Lab change (3), weighted detail gain - 1 (1), weight (1)."""
        labels_w = _labels_at(labels, work) if work != self.side else labels
        textured_w = cv2.resize(textured.astype(np.uint8), (work, work), interpolation=cv2.INTER_NEAREST) > 0
        delta = _render_delta(original, edited, work)  # [W, W, 3]
        weight, owner = _spread(textured_w, labels_w, _scaled(EDIT_SPREAD, work))
        # The model's mean change of each region, over the same inner pixels its looks are from.
        erode = max(1, round(_scaled(LOOK_ERODE, work)))
        inner = cv2.erode(textured_w.astype(np.uint8), disk(erode)).astype(bool)
        counted = inner if inner.any() else textured_w
        present = labels_w[counted]
        counts = np.bincount(present, minlength=NUM_REGIONS).astype(np.float32)
        sums = np.stack([np.bincount(present, delta[..., c][counted], NUM_REGIONS) for c in range(3)], axis=1)
        model_mean = sums / np.maximum(counts, 1)[:, None]  # [R, 3]
        offset = np.zeros((NUM_REGIONS, 3), np.float32)
        gain = np.ones(NUM_REGIONS, np.float32)
        photo = self.looks
        for r in np.unique(labels_w[textured_w]) if targets is not None else ():
            if np.isfinite(targets.mean[r]).all() and np.isfinite(photo.mean[r]).all():
                offset[r] = targets.mean[r] - photo.mean[r] - model_mean[r]
                if photo.detail[r] > 1e-3 and np.isfinite(targets.detail[r]):
                    gain[r] = np.clip(targets.detail[r] / photo.detail[r], *GAIN_RANGE)
        soften = _scaled(DETAIL_SIGMA, work)  # no step where two edited regions meet
        fields = np.concatenate([offset, gain[:, None] - 1], axis=1)[owner]  # [W, W, 4]
        fields = cv2.GaussianBlur(fields, (0, 0), soften)
        fields[..., :3] += delta
        return np.concatenate([fields * weight[..., None], weight[..., None]], axis=2)

    def _reshape(self, result, edited_render, labels, reshaped, targets: RegionLooks | None) -> np.ndarray:
        """Put the model's render in reshaped areas (at the regions' target colours), blended in;
        returns the pixels it touched."""
        side = self.side
        reach = _scaled(SHAPE_REACH, side)
        grown = cv2.dilate(reshaped.astype(np.uint8), disk(round(reach)))
        levels = max(1, SHAPE_BLEND_LEVELS + round(np.log2(side / REFERENCE_SIDE)))
        margin = pyramid_reach(levels) + 2
        top, bottom, left, right = _box(grown > 0, margin)
        box = np.s_[top:bottom, left:right]
        render = cv2.resize(edited_render, (side, side), interpolation=cv2.INTER_CUBIC)[box]
        render_lab, box_labels = _lab(render), labels[box]
        targets = targets if targets is not None else self.looks  # new pixels match their region
        for r in np.unique(labels[reshaped]):
            region = box_labels == r
            if np.isfinite(targets.mean[r]).all() and region.any():
                render_lab[region] += targets.mean[r] - render_lab[region].mean(axis=0)
        alpha = feathered_mask(grown[box], reach)  # [h, w]
        result[box] = laplacian_blend(_to_rgb(render_lab), result[box], alpha, levels)
        touched = np.zeros((side, side), bool)
        outside = (alpha <= 0).astype(np.uint8)
        touched[box] = cv2.distanceTransform(outside, cv2.DIST_C, 3) <= pyramid_reach(levels)
        return touched


def _box(mask: np.ndarray, margin: int = 0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the mask's True pixels, grown by ``margin``, clipped."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return 0, 0, 0, 0
    height, width = mask.shape
    return (
        max(rows[0] - margin, 0),
        min(rows[-1] + 1 + margin, height),
        max(cols[0] - margin, 0),
        min(cols[-1] + 1 + margin, width),
    )


def _render_delta(original: np.ndarray, edited: np.ndarray, side: int) -> np.ndarray:
    """render(edited) - render(original) in Lab, at the crop's size, smooth at the model's scale."""
    delta = _lab(edited) - _lab(original)  # [M, M, 3]
    delta = cv2.resize(delta, (side, side), interpolation=cv2.INTER_LINEAR)
    sigma = max(0.5, 0.5 * side / original.shape[0])  # one model pixel's worth of smoothing
    return cv2.GaussianBlur(delta, (0, 0), sigma)


def _spread(textured: np.ndarray, labels: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """(weight [S, S]: 1 in edited regions, fading to 0 ``spread`` px beyond; owner [S, S]: the
    edited region each pixel takes its change from: its own, else the nearest edited one)."""
    outside = (~textured).astype(np.uint8)
    distance, nearest = cv2.distanceTransformWithLabels(
        outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE, labelType=cv2.DIST_LABEL_PIXEL
    )
    # nearest numbers the zero (edited) pixels in row-major order; map each back to its region.
    rows, cols = np.nonzero(outside == 0)
    owner = labels[rows, cols][nearest - 1]  # [S, S]
    t = np.clip(distance / max(spread, 1e-6), 0, 1)
    weight = np.where(distance < spread, 0.5 + 0.5 * np.cos(np.pi * t), 0).astype(np.float32)
    return weight, owner


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)
