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
    """values [B, R, C] looked up by labels [B, H, W] -> [B, C, H, W]."""
    batch, _, channels = values.shape
    index = labels.reshape(batch, 1, -1).expand(batch, channels, -1)
    return torch.gather(values.transpose(1, 2), 2, index).view(batch, channels, *labels.shape[1:])


@dataclass(frozen=True)
class BorderSites:
    """Output pixels [N] of one layer geometry whose receptive field crosses a region border."""

    batch: torch.Tensor
    y: torch.Tensor
    x: torch.Tensor
    region: torch.Tensor
    window_index: torch.Tensor  # [N, window] flat indices into the padded input of all images
    phase_groups: tuple[tuple[int, torch.Tensor], ...]  # (subpixel phase, member rows), upsampling

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
        crosses = torch.zeros_like(labels_out, dtype=torch.bool)
        for dy in range(window):
            for dx in range(window):
                neighbour = padded[:, dy : dy + in_size, dx : dx + in_size]
                if up > 1:
                    neighbour = neighbour.repeat_interleave(up, 1).repeat_interleave(up, 2)
                crosses |= (neighbour != labels_out) & (neighbour != OUTSIDE)
        batch_idx, y, x = crosses.nonzero(as_tuple=True)
        padded_side = in_size + 2 * pad
        offsets = torch.arange(window, device=self.device)
        offsets = (offsets[:, None] * padded_side + offsets[None, :]).reshape(-1)
        corner = batch_idx * padded_side**2 + (y // up) * padded_side + (x // up)
        groups: tuple[tuple[int, torch.Tensor], ...] = ()
        if up > 1:
            phase = (y % 2) * 2 + (x % 2)
            groups = tuple(
                (p, members) for p in range(4) if (members := (phase == p).nonzero().squeeze(1)).numel() > 0
            )
        return BorderSites(
            batch=batch_idx,
            y=y,
            x=x,
            region=labels_out[batch_idx, y, x],
            window_index=corner[:, None] + offsets[None, :],
            phase_groups=groups,
        )


def upsampling_window_kernels(weight: torch.Tensor, blur_kernel: torch.Tensor) -> torch.Tensor:
    """[4, Cout, Cin * 9]: the 2x transposed conv + blur as one 3x3 kernel per subpixel phase.

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
    return kernels.reshape(4, weight.shape[0], -1)
