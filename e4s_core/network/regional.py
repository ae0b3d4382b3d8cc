"""Geometry of a region partition for the regional (mask-modulated) layers.

A ``RegionLayout`` holds one label map [B, H, W] (values 0..R-1) and derives,
once per resolution, what every regional layer needs: the nearest-resized
labels (as the authors resize their one-hot masks), one-hot masks for the
reference loop, and the "border sites": output pixels whose receptive field
reaches an input pixel of another region. Only those need more than one plain
convolution. Build a layout once per label map and reuse it across renders.
"""

from dataclasses import dataclass

import torch
from torch.nn import functional as F

OUTSIDE = -1  # label of the zero padding: zero input contributes nothing under any style


def resize_labels(labels: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest resize of [B, H, W] integer labels, identical to resizing their one-hot maps."""
    if labels.shape[-1] == size and labels.shape[-2] == size:
        return labels
    resized = F.interpolate(labels[:, None].float(), size=(size, size), mode="nearest")
    return resized[:, 0].long()


def gather_per_pixel(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """values [B, R, C] looked up by labels [B, H, W] -> [B, C, H, W] in channels-last memory."""
    batch, regions, channels = values.shape
    offsets = torch.arange(batch, device=labels.device).view(batch, 1, 1) * regions
    rows = F.embedding(labels + offsets, values.reshape(batch * regions, channels))  # [B, H, W, C]
    return rows.permute(0, 3, 1, 2)


@dataclass(frozen=True)
class BorderSites:
    """Output pixels [N] of one layer geometry whose receptive field crosses a region border,
    and the M (pixel, tap) pairs where a tap reads an input pixel of another region.

    Pairs are sorted by tap; ``tap_slices`` gives (tap, start, end) runs, so each tap's
    pairs are one contiguous block for a single matrix product.
    """

    batch: torch.Tensor  # [N]
    output_row: torch.Tensor  # [N] flat (batch, y, x) in the layer's output
    region: torch.Tensor  # [N]
    pair_pixel: torch.Tensor  # [M] row in the N border pixels
    pair_source_row: torch.Tensor  # [M] flat (batch, y, x) of the input pixel the tap reads
    pair_gap_row: torch.Tensor  # [M] flat (batch, own region, source region)
    tap_slices: tuple[tuple[int, int, int], ...]

    @property
    def count(self) -> int:
        return int(self.batch.numel())


class RegionLayout:
    def __init__(self, labels: torch.Tensor, num_regions: int):
        if labels.ndim != 3 or labels.shape[-1] != labels.shape[-2]:
            raise ValueError(f"labels must be [B, S, S], got {tuple(labels.shape)}")
        self.source = labels.long()
        self.num_regions = num_regions
        self._labels: dict[int, torch.Tensor] = {}
        self._borders: dict[tuple[int, int, int], BorderSites] = {}

    @property
    def device(self) -> torch.device:
        return self.source.device

    def labels(self, size: int) -> torch.Tensor:
        if size not in self._labels:
            self._labels[size] = resize_labels(self.source, size)
        return self._labels[size]

    def masks(self, size: int, dtype: torch.dtype) -> torch.Tensor:
        """One-hot [B, R, size, size] as the authors feed their masked layers."""
        one_hot = F.one_hot(self.labels(size), self.num_regions)
        return one_hot.permute(0, 3, 1, 2).to(dtype)

    def present_regions(self, size: int) -> torch.Tensor:
        """Bool [B, R]: which regions own at least one pixel at this resolution."""
        counts = F.one_hot(self.labels(size), self.num_regions).sum((1, 2))
        return counts > 0

    def border_sites(self, out_size: int, up: int, kernel_size: int) -> BorderSites:
        key = (out_size, up, kernel_size)
        if key not in self._borders:
            self._borders[key] = self._find_border_sites(out_size, up, kernel_size)
        return self._borders[key]

    def _find_border_sites(self, out_size: int, up: int, kernel_size: int) -> BorderSites:
        if up == 1:
            window, pad = kernel_size, kernel_size // 2
        else:
            # A 3x3 transposed conv at stride 2 followed by the 4-tap blur reads, for
            # output pixel q, exactly the 3x3 input pixels around q // 2.
            if (up, kernel_size) != (2, 3):
                raise NotImplementedError("regional upsampling supports 3x3 kernels at 2x")
            window, pad = 3, 1
        labels_out = self.labels(out_size)
        labels_in = self.labels(out_size // up)
        in_size = labels_in.shape[-1]
        padded = F.pad(labels_in, (pad,) * 4, value=OUTSIDE)
        grid = torch.arange(out_size, device=self.device)
        # Per tap: does output pixel q read an input pixel of another region through it?
        tap_mismatch = []
        for dy in range(window):
            for dx in range(window):
                neighbour = padded[:, dy : dy + in_size, dx : dx + in_size]
                if up > 1:
                    neighbour = neighbour.repeat_interleave(up, 1).repeat_interleave(up, 2)
                tap_mismatch.append(((neighbour != labels_out) & (neighbour != OUTSIDE), neighbour))
        crosses = torch.stack([m for m, _ in tap_mismatch]).any(0)
        batch_idx, y, x = crosses.nonzero(as_tuple=True)
        pixel_of = torch.full_like(labels_out, -1)
        pixel_of[batch_idx, y, x] = torch.arange(batch_idx.numel(), device=self.device)
        phases = (grid[:, None] % 2) * 2 + grid[None, :] % 2 if up > 1 else None
        pair_pixel, pair_source, pair_gap, slices, start = [], [], [], [], 0
        for tap, (mismatch, neighbour) in enumerate(tap_mismatch):
            dy, dx = divmod(tap, window)
            for phase in range(4 if up > 1 else 1):
                selected = mismatch & (phases == phase) if phases is not None else mismatch
                b, qy, qx = selected.nonzero(as_tuple=True)
                if b.numel() == 0:
                    continue
                source_y, source_x = qy // up + dy - pad, qx // up + dx - pad
                pair_pixel.append(pixel_of[b, qy, qx])
                pair_source.append((b * in_size + source_y) * in_size + source_x)
                own, source = labels_out[b, qy, qx], neighbour[b, qy, qx]
                pair_gap.append((b * self.num_regions + own) * self.num_regions + source)
                slices.append((phase * window * window + tap, start, start + b.numel()))
                start += b.numel()
        empty = torch.zeros(0, dtype=torch.long, device=self.device)
        return BorderSites(
            batch=batch_idx,
            output_row=(batch_idx * out_size + y) * out_size + x,
            region=labels_out[batch_idx, y, x],
            pair_pixel=torch.cat(pair_pixel) if pair_pixel else empty,
            pair_source_row=torch.cat(pair_source) if pair_source else empty,
            pair_gap_row=torch.cat(pair_gap) if pair_gap else empty,
            tap_slices=tuple(slices),
        )


def upsampling_window_kernels(weight: torch.Tensor, blur_kernel: torch.Tensor) -> torch.Tensor:
    """[4, Cout, Cin, 3, 3]: the 2x transposed conv + blur as one 3x3 kernel per subpixel phase.

    weight [Cout, Cin, 3, 3] (scaled, unmodulated); blur_kernel [4, 4] as applied by
    ``upfirdn2d`` with padding (1, 1). Output pixel q = 2a + p takes input a - 1 + d
    through transposed-conv tap k = p + 1 + m - 2d and (flipped) blur tap m.
    """
    taps = blur_kernel.shape[0]
    select = weight.new_zeros(2, 3, taps, 3)  # [phase, window offset d, blur tap m, conv tap k]
    for p in range(2):
        for d in range(3):
            for m in range(taps):
                k = p + 1 + m - 2 * d
                if 0 <= k < 3:
                    select[p, d, m, k] = 1.0
    flipped = torch.flip(blur_kernel, (0, 1)).to(weight.dtype)
    combine = torch.einsum("ab,pdak,qebl->pqdekl", flipped, select, select)
    kernels = torch.einsum("pqdekl,oikl->pqoide", combine, weight)
    return kernels.reshape(4, *weight.shape)
