"""How faithful a model is on held-out faces: reconstruction and region transfer.

Faces are synthetic seeds by default; any ``faces(ids, size) -> FaceBatch`` callable (a real
validation set: ``DatasetFaces.faces``) measures the same way on its item numbers.

Reconstruction: encode -> render with the stored noise, clamped to [-1, 1], against the face
(SSIM, PSNR, RMSE: the paper's Table 1 metrics).

Region transfer: encode a source and a reference face (each with its own labels), give the source
the reference's vector for one region and render under the SOURCE labels. With region mean
CIELAB colours over that region's source pixels

    C0 = source reconstruction, C1 = swapped render, CR = reference reconstruction
         (over the reference's own pixels of the region),

``transfer = (C1 - C0) . (CR - C0) / |CR - C0|^2`` (1.0: all the way to the reference). CR is the
reference's *reconstruction*, so what the model cannot reconstruct is not counted as a failure to
transfer; ``transfer_raw`` uses the raw reference image instead (both are reported). A region
mean is the mean of its pixels' Lab values. Pairs with |CR - C0| < ``MIN_TRANSFER_DISTANCE`` ΔE
have no meaningful direction and are skipped (transfer None, counted); a face swapped with
itself is always skipped this way. ``leakage`` is the mean, with every other region weighted
equally (not by area, which would let skin and background drown the small parts), of the ΔE76
between that region's mean colour in the source reconstruction and in the swapped render.

Every region with at least ``MIN_REGION_PIXELS`` pixels at the render size in both faces is
tested, background included: it is one of E4S's 12 regions and has its own vector.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .metrics import psnr, rmse, srgb_to_lab, ssim
from .regions import NUM_REGIONS, REGIONS
from .training.data import FaceBatch, faces_to_batch

FaceSource = Callable[[list[int], int], FaceBatch]  # (ids, size) -> batch

log = logging.getLogger(__name__)

MIN_REGION_PIXELS = 50  # at the render size; smaller regions give noisy mean colours
MIN_TRANSFER_DISTANCE = 5.0  # ΔE76; below it "toward the reference" has no stable direction


@dataclass
class ReconstructionScores:
    seeds: np.ndarray  # [N] int: the faces measured (seeds, or a dataset's item numbers)
    ssim: np.ndarray  # [N]
    psnr: np.ndarray  # [N] dB
    rmse: np.ndarray  # [N] on the [0, 1] scale

    def summary(self) -> dict[str, float]:
        """Means and the worst 5 % quantile of each metric (low SSIM/PSNR, high RMSE)."""
        return {
            "faces": len(self.seeds),
            "ssim": float(self.ssim.mean()),
            "psnr": float(self.psnr.mean()),
            "rmse": float(self.rmse.mean()),
            "ssim_p5": float(np.percentile(self.ssim, 5)),
            "psnr_p5": float(np.percentile(self.psnr, 5)),
            "rmse_p95": float(np.percentile(self.rmse, 95)),
        }


@dataclass(frozen=True)
class RegionTransfer:
    source_seed: int
    reference_seed: int
    region: int  # region id, see regions.REGIONS
    transfer: float | None  # toward the reference's reconstruction; None: skipped (too close)
    transfer_raw: float | None  # toward the raw reference image; None: skipped
    leakage: float  # mean ΔE76 of the other regions' mean colours
    distance: float  # |CR - C0| in ΔE76
    distance_raw: float  # the same against the raw reference image

    @property
    def skipped(self) -> bool:
        return self.transfer is None


@dataclass
class TransferScores:
    results: list[RegionTransfer]

    def summary(self) -> dict[str, float]:
        measured = [r.transfer for r in self.results if r.transfer is not None]
        raw = [r.transfer_raw for r in self.results if r.transfer_raw is not None]
        pairs = {(r.source_seed, r.reference_seed) for r in self.results}
        return {
            "pairs": len(pairs),
            "tests": len(self.results),
            "skipped": len(self.results) - len(measured),
            "transfer": _mean(measured),
            "transfer_median": float(np.median(measured)) if measured else float("nan"),
            "transfer_raw": _mean(raw),
            "transfer_raw_median": float(np.median(raw)) if raw else float("nan"),
            "leakage": _mean([r.leakage for r in self.results]),  # skipped swaps still leak or not
        }

    def per_region(self) -> dict[str, dict[str, float]]:
        """Region name -> tests, skipped, mean transfer, transfer_raw and leakage."""
        table = {}
        for region in REGIONS:
            rows = [r for r in self.results if r.region == region.id]
            if rows:
                table[region.name] = {
                    "tests": len(rows),
                    "skipped": sum(r.skipped for r in rows),
                    "transfer": _mean([r.transfer for r in rows if r.transfer is not None]),
                    "transfer_raw": _mean([r.transfer_raw for r in rows if r.transfer_raw is not None]),
                    "leakage": _mean([r.leakage for r in rows]),
                }
        return table


def reconstruction_scores(
    model,
    seeds: Sequence[int],
    batch_size: int = 8,
    faces: FaceSource = faces_to_batch,
    on_batch: Callable[[torch.Tensor, torch.Tensor], None] | None = None,
) -> ReconstructionScores:
    """SSIM, PSNR and RMSE of every face's reconstruction at the model's resolution.

    Faces ``faces`` cannot read are left out (``seeds`` of the result are the ones measured);
    ``on_batch(images, renders)`` sees every batch (for FID).
    """
    scores = {"ssim": [], "psnr": [], "rmse": []}
    measured = []
    for start in range(0, len(seeds), batch_size):
        batch = faces(list(seeds[start : start + batch_size]), model.resolution)
        if len(batch.images) == 0:
            continue
        with torch.inference_mode():
            images = batch.images  # [B, 3, S, S] in [-1, 1]
            rendered = _render(model, model.encode(images, batch.labels), batch.labels).cpu()
            for name, metric in (("ssim", ssim), ("psnr", psnr), ("rmse", rmse)):
                scores[name].append(metric(rendered, images).numpy())
        measured += batch.ids.tolist()
        if on_batch is not None:
            on_batch(images, rendered)
    if not measured:
        raise ValueError("none of the faces could be read")
    arrays = {name: np.concatenate(values) for name, values in scores.items()}
    return ReconstructionScores(np.asarray(measured), **arrays)


def pair_transfers(
    model,
    pairs: Sequence[tuple[int, int]],
    regions: Sequence[int] | None = None,
    batch_size: int = 8,
    min_pixels: int = MIN_REGION_PIXELS,
    faces: FaceSource = faces_to_batch,
) -> list[RegionTransfer]:
    """Every region (of ``regions``, default all) with ``min_pixels`` in both faces of every
    (source_seed, reference_seed) pair, in batched renders."""
    results = []
    for start in range(0, len(pairs), batch_size):
        chunk = list(pairs[start : start + batch_size])
        results += _chunk_transfers(model, chunk, regions, batch_size, min_pixels, faces)
    return results


def region_transfer(
    model, source_seed: int, reference_seed: int, region: int, min_pixels: int = MIN_REGION_PIXELS
) -> RegionTransfer:
    """Swap one region's vector from reference into source; ValueError if either has too few px."""
    results = pair_transfers(model, [(source_seed, reference_seed)], [region], min_pixels=min_pixels)
    if not results:
        raise ValueError(
            f"region {REGIONS[region].name} has fewer than {min_pixels} px in face"
            f" {source_seed} or {reference_seed} at {model.resolution} px; pick another region or pair"
        )
    return results[0]


def transfer_scores(
    model, pairs: Sequence[tuple[int, int]], batch_size: int = 8, faces: FaceSource = faces_to_batch
) -> TransferScores:
    return TransferScores(pair_transfers(model, pairs, batch_size=batch_size, faces=faces))


# -- internals ---------------------------------------------------------------------------------
def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _render(model, vectors: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """vectors [B, R, V] + labels [B, S, S] -> image [B, 3, S, S] clamped to [-1, 1]."""
    return model.render(model.style_codes(vectors), labels, noise="stored").clamp(-1, 1)


def _region_means(image: torch.Tensor, one_hot: torch.Tensor) -> torch.Tensor:
    """image [B, 3, S, S] in [-1, 1], one_hot [B, R, S, S] -> mean Lab per region [B, R, 3]."""
    lab = srgb_to_lab((image.float().cpu() + 1) / 2)  # [B, 3, S, S]
    sums = torch.einsum("bchw,brhw->brc", lab.double(), one_hot.double())
    return sums / one_hot.sum((2, 3)).double().clamp(min=1)[..., None]


def _in_batches(fn, first: torch.Tensor, second: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat(
        [fn(first[i : i + batch_size], second[i : i + batch_size]) for i in range(0, len(first), batch_size)]
    )


@torch.inference_mode()
def _chunk_transfers(model, pairs, regions, batch_size, min_pixels, faces) -> list[RegionTransfer]:
    count = len(pairs)
    batch = faces([s for s, _ in pairs] + [r for _, r in pairs], model.resolution)
    if len(batch.images) != 2 * count:
        raise ValueError(f"faces of these pairs could not be read: {batch.skipped.summary()}")
    images, labels = batch.images, batch.labels  # [2P, 3, S, S], [2P, S, S]: sources then refs
    one_hot = F.one_hot(labels, NUM_REGIONS).permute(0, 3, 1, 2).float()  # [2P, R, S, S]
    present = one_hot.sum((2, 3)) >= min_pixels  # [2P, R]
    vectors = _in_batches(model.encode, images, labels, batch_size)  # [2P, R, V]
    recon = _in_batches(lambda v, lab: _render(model, v, lab), vectors, labels, batch_size)
    recon_means = _region_means(recon, one_hot)  # [2P, R, 3]
    raw_means = _region_means(images, one_hot)

    tests = [
        (p, region)
        for p in range(count)
        for region in (regions if regions is not None else range(NUM_REGIONS))
        if present[p, region] and present[count + p, region]
    ]
    swapped_means = []
    for start in range(0, len(tests), batch_size):
        chunk = tests[start : start + batch_size]
        sources = torch.tensor([p for p, _ in chunk])
        swapped = vectors[sources].clone()  # [K, R, V]
        for k, (p, region) in enumerate(chunk):
            swapped[k, region] = vectors[count + p, region]
        rendered = _render(model, swapped, labels[sources])
        swapped_means.append(_region_means(rendered, one_hot[sources]))

    results = []
    for (p, region), c1 in zip(tests, torch.cat(swapped_means) if tests else [], strict=True):
        c0 = recon_means[p]  # [R, 3]
        others = present[p].clone()
        others[region] = False
        leak = (c1[others] - c0[others]).norm(dim=-1)  # [others]
        transfer, distance = _toward(c0[region], c1[region], recon_means[count + p, region])
        transfer_raw, distance_raw = _toward(c0[region], c1[region], raw_means[count + p, region])
        source_seed, reference_seed = pairs[p]
        results.append(
            RegionTransfer(
                source_seed=int(source_seed),
                reference_seed=int(reference_seed),
                region=int(region),
                transfer=transfer,
                transfer_raw=transfer_raw,
                leakage=float(leak.mean()) if len(leak) else 0.0,
                distance=distance,
                distance_raw=distance_raw,
            )
        )
    log.debug("%d pairs: %d region swaps", count, len(results))
    return results


def _toward(c0: torch.Tensor, c1: torch.Tensor, target: torch.Tensor) -> tuple[float | None, float]:
    """Fraction of the way from c0 to target that c1 went, projected on that direction ([3] Lab)."""
    direction = target - c0
    distance = float(direction.norm())
    if distance < MIN_TRANSFER_DISTANCE:
        return None, distance
    return float((c1 - c0).dot(direction) / distance**2), distance
