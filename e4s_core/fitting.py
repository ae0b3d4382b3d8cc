"""Fitting a photo: the paper's optimisation phase and generator fine-tuning (Qt-free).

The encoder gives region vectors in one pass; E4S then refines them on the photo (supplement
section 5: Adam, lr 1e-2, 50 steps), and for video also fine-tunes the generator (lr 1e-3,
200 steps). Both are here, for one aligned face:

    result = fit_vectors(model, image, labels)                     # result.vectors [1, 12, V]
    tuned = finetune_generator(model, image, labels, result.vectors)   # tuned.model: a new model

Only the face regions count (``FACE_REGIONS``, the regions pasted back into the photo): the
loss sees the generated and the real face inside their mask, with everything outside set to
the same constant, so pixels outside the mask cannot change the loss, not even through the
SSIM windows that straddle the mask's edge. Vector fitting moves only those regions' vectors.

The loss is the training objective's pixel and perceptual terms, L_mse + 0.8 L_perceptual,
with our documented perceptual substitute (1 - SSIM at three scales, ``training/objective.py``).
Rendering uses the model's stored noise, so a fit is deterministic.
"""

import copy
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from . import paper_constants as paper
from .errors import InputError
from .image_distances import MultiScale, PixelMSE, SSIMDistance
from .metrics import psnr
from .model import E4SModel, ModelInfo
from .network.regional import resize_labels
from .regions import FACE_REGIONS

log = logging.getLogger(__name__)

MIN_SSIM_SIDE = 16  # the 11-tap SSIM window needs room: coarser scales are dropped below this

Progress = Callable[[int, int, float], None]  # (steps done, steps, loss of the last step)
ShouldStop = Callable[[], bool]


@dataclass
class FitResult:
    vectors: torch.Tensor  # [1, R, V] float32, the best vectors seen (on the model's device)
    losses: list[float]  # loss after 0, 1, ..., steps_done updates (len steps_done + 1)
    psnr_before: float  # face-region PSNR (dB) of the starting point
    psnr_after: float  # face-region PSNR (dB) of the returned result
    seconds: float  # wall-clock time of the whole fit on the model's device
    steps_done: int
    cancelled: bool = False
    model: E4SModel | None = None  # fine-tuning only: the tuned copy
    device: str = "cpu"

    @property
    def best_loss(self) -> float:
        return min(self.losses)


class FitObjective:
    """Loss of a generated face against the photo, inside a region mask only."""

    def __init__(self, target: torch.Tensor, mask: torch.Tensor):
        # target [1, 3, S, S] in [-1, 1]; mask [1, S, S] bool
        self.mask = mask[:, None].to(target.dtype)  # [1, 1, S, S]
        self.target = target * self.mask
        side = target.shape[-1]
        scales = 1
        while scales < paper.PERCEPTUAL_SCALES and side >> scales >= MIN_SSIM_SIDE:
            scales += 1
        self.mse = PixelMSE()
        self.perceptual = MultiScale(SSIMDistance(), scales)

    def __call__(self, generated: torch.Tensor) -> torch.Tensor:
        # Zero (mid-grey) outside the mask in both images: only face pixels can differ.
        masked = generated * self.mask
        return paper.MSE_WEIGHT * self.mse(masked, self.target) + paper.PERCEPTUAL_WEIGHT * self.perceptual(
            masked, self.target
        )


def fit_vectors(
    model: E4SModel,
    image: torch.Tensor,
    labels: torch.Tensor,
    vectors: torch.Tensor | None = None,
    steps: int = paper.FIT_VECTORS_STEPS,
    lr: float = paper.FIT_VECTORS_LR,
    regions: Iterable[int] = FACE_REGIONS,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> FitResult:
    """Optimise the face regions' vectors so the render matches the photo there.

    image [1, 3, H, H] in [-1, 1], labels [1, h, w] or [h, w] int (any square sizes: both are
    resized to the model's resolution). ``vectors`` [1, R, V] defaults to ``model.encode``.
    The MLPs and the generator stay frozen. ``should_stop()`` returning True ends the fit
    cleanly with the best result so far and ``cancelled=True``.
    """
    start = time.perf_counter()
    image, labels, mask, free = _prepare(model, image, labels, regions)
    if vectors is None:
        with torch.no_grad():
            vectors = model.encode(image, labels)
    expected = (1, model.config.num_regions, model.config.vector_dim)
    if tuple(vectors.shape) != expected:
        raise InputError(f"vectors must be {list(expected)}, got {list(vectors.shape)}")
    fixed = vectors.detach().to(model.device, torch.float32)  # [1, R, V]
    variable = fixed.clone().requires_grad_(True)
    free = free.view(1, -1, 1)  # [1, R, 1] True for regions the fit may move
    layout = model.layout(labels)

    def render() -> torch.Tensor:
        current = torch.where(free, variable, fixed)
        return model.render(model.style_codes(current), layout)

    run = _optimise(render, [variable], image, mask, steps, lr, progress, should_stop)
    best = torch.where(free, run.best[0], fixed)
    return run.result(vectors=best, seconds=time.perf_counter() - start, device=str(model.device))


def finetune_generator(
    model: E4SModel,
    image: torch.Tensor,
    labels: torch.Tensor,
    vectors: torch.Tensor,
    steps: int = paper.FINETUNE_STEPS,
    lr: float = paper.FINETUNE_LR,
    regions: Iterable[int] = FACE_REGIONS,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> FitResult:
    """Fine-tune a copy of the generator's synthesis layers on one photo; ``model`` is untouched.

    The mapping network (``G.style``), the encoder and the region MLPs are not trained. Returns
    the tuned copy as ``result.model`` (same device and dtype), with ``vectors`` unchanged.
    """
    start = time.perf_counter()
    if model.dtype != torch.float32:
        raise InputError(
            f"Fine-tuning needs a float32 model, this one is {str(model.dtype).replace('torch.', '')};"
            " load it with precision float32."
        )
    image, labels, mask, _ = _prepare(model, image, labels, regions)
    expected = (1, model.config.num_regions, model.config.vector_dim)
    if tuple(vectors.shape) != expected:
        raise InputError(f"vectors must be {list(expected)}, got {list(vectors.shape)}")
    info = model.info
    tuned = E4SModel(
        copy.deepcopy(model.network),
        ModelInfo(f"{info.name} (fine-tuned)", "", info.file_format, {**info.metadata, "finetuned": True}),
    )
    parameters = [p for name, p in tuned.network.G.named_parameters() if not name.startswith("style.")]
    with torch.no_grad():
        codes = tuned.style_codes(vectors.detach())  # [1, R, L, D], fixed while G learns
    layout = tuned.layout(labels)
    for parameter in parameters:
        parameter.requires_grad_(True)
    try:
        run = _optimise(
            lambda: tuned.render(codes, layout), parameters, image, mask, steps, lr, progress, should_stop
        )
        with torch.no_grad():
            for parameter, best in zip(parameters, run.best, strict=True):
                parameter.copy_(best)
    finally:
        tuned.network.requires_grad_(False)
    seconds = time.perf_counter() - start
    device = str(model.device)
    return run.result(vectors=vectors.detach().clone(), seconds=seconds, device=device, model=tuned)


# -- the shared loop -------------------------------------------------------------------------
@dataclass
class _Run:
    best: list[torch.Tensor]
    losses: list[float]
    psnrs: list[float]
    best_index: int
    cancelled: bool

    def result(self, **kwargs) -> FitResult:
        return FitResult(
            losses=self.losses,
            psnr_before=self.psnrs[0],
            psnr_after=self.psnrs[self.best_index],
            steps_done=len(self.losses) - 1,
            cancelled=self.cancelled,
            **kwargs,
        )


def _optimise(
    render: Callable[[], torch.Tensor],
    parameters: list[torch.Tensor],
    image: torch.Tensor,
    mask: torch.Tensor,
    steps: int,
    lr: float,
    progress: Progress | None,
    should_stop: ShouldStop | None,
) -> _Run:
    """Adam on ``parameters``; every evaluated state is a candidate, the lowest loss wins."""
    if steps < 0:
        raise InputError(f"steps must be 0 or more, got {steps}")
    if not lr > 0:
        raise InputError(f"the learning rate must be positive, got {lr}")
    objective = FitObjective(image, mask)
    optimizer = torch.optim.Adam(parameters, lr=lr)
    losses: list[float] = []
    psnrs: list[float] = []
    best: list[torch.Tensor] = []
    best_index, cancelled = 0, False
    for step in range(steps + 1):
        stopping = step < steps and should_stop is not None and should_stop()
        cancelled = cancelled or stopping
        learning = step < steps and not stopping
        with torch.enable_grad() if learning else torch.no_grad():
            generated = render()  # [1, 3, S, S]
            loss = objective(generated)
        losses.append(float(loss.detach()))
        psnrs.append(float(psnr(generated.detach(), image, mask)[0]))
        if losses[-1] <= losses[best_index] or not best:
            best_index, best = step, [p.detach().clone() for p in parameters]
        if not learning:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if progress is not None:
            progress(step + 1, steps, losses[-1])
    log.info("fit: %d steps, loss %.4f -> %.4f", len(losses) - 1, losses[0], losses[best_index])
    return _Run(best, losses, psnrs, best_index, cancelled)


def _prepare(model: E4SModel, image: torch.Tensor, labels: torch.Tensor, regions: Iterable[int]):
    """-> image [1, 3, S, S], labels [1, S, S], face mask [1, S, S] bool, free regions [R] bool."""
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[:2] != (1, 3):
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise InputError(f"fitting takes one image [1, 3, H, H] in [-1, 1], got {shape}")
    if image.shape[-1] != image.shape[-2] or not image.is_floating_point():
        raise InputError("the image must be a square float tensor in [-1, 1] (an aligned face)")
    side = model.resolution
    image = image.detach().to(model.device, torch.float32)
    if image.shape[-1] > side:
        image = F.interpolate(image, size=(side, side), mode="area")
    elif image.shape[-1] < side:  # area would only repeat pixels when enlarging
        image = F.interpolate(image, size=(side, side), mode="bilinear", align_corners=False)
    labels = resize_labels(model.labels(labels, batch=1), side)  # [1, S, S]
    regions = sorted(set(regions))
    if not regions or min(regions) < 0 or max(regions) >= model.config.num_regions:
        raise InputError(f"regions must be ids 0..{model.config.num_regions - 1}, got {regions}")
    free = torch.zeros(model.config.num_regions, dtype=torch.bool, device=model.device)
    free[regions] = True
    mask = free[labels]  # [1, S, S]
    if not mask.any():
        raise InputError(
            "The label map has none of the face regions to fit; check that it belongs to this face."
        )
    return image, labels, mask, free
