"""Training an RGI network: reconstruction as the proxy task, on the synthetic corpus or real faces.

One step: a batch (painted, or read from a dataset: ``data_sources``), encode -> codes ->
render with random noise, the weighted objective, Adam on encoder + MLPs + generator (the
mapping network is unused by E4S and stays frozen), an EMA of the weights, and every
``discriminator_every`` steps one discriminator update. Run under ``torchrun --nproc_per_node N``
it is data-parallel (DDP; NCCL on GPUs, gloo on CPUs): every rank takes its own share of the
faces and gradients are averaged. ``--init`` weights (``initialise``) are loaded before the EMA
copy is made, so both start from them.

Checkpoints (``latest.pt`` in the run folder, atomic) hold the network, its EMA, both
optimisers, the discriminator, the step and the settings; a run started on a folder that has one
resumes from it and sees exactly the faces it would have seen (the same data must be given: the
checkpoint records which).
"""

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from .. import paper_constants as paper
from ..checkpoint import save_model
from ..errors import CheckpointError, InputError
from ..files import atomic_write
from ..network import RGIConfig, RGINetwork
from ..network.regional import RegionLayout
from .data import FaceBatch, SyntheticFaces
from .dataset_layouts import SkipReport
from .discriminator import Discriminator
from .distributed import Distributed
from .initialise import InitReport, initialise
from .losses import logistic_discriminator_loss
from .objective import LossWeights, build_objective
from .validation import validate

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "latest.pt"
CHECKPOINT_FORMAT = "e4s-studio-training-run"


@dataclass
class TrainSettings:
    steps: int
    batch_size: int = 8  # per rank
    lr: float = paper.TRAIN_LR
    discriminator_lr: float = paper.TRAIN_LR
    discriminator_every: int = paper.DISCRIMINATOR_EVERY
    weights: LossWeights = field(default_factory=LossWeights)
    ema_half_life_images: float = 10_000.0  # StyleGAN2-ADA's EMA, ramped up over the first images
    ema_rampup: float = 0.05
    checkpoint_every: int = 500
    validate_every: int = 500
    validation_faces: int = 16
    log_every: int = 20
    data_workers: int = 1
    seed: int = 0
    max_minutes: float | None = None  # stop (and checkpoint) after this much wall time
    lr_drop_step: int | None = None  # both learning rates x 0.1 from this step on (the paper's: 100,000)
    # With a generator from a file, keep the layers that read only latent_avg (the unmasked finest
    # ones, W index >= K) as they came, as the authors do; the mapping network is always frozen.
    freeze_shared_layers: bool = False

    # (low, high) of each number; the CLI and the API refuse the same values, before any work
    RANGES: ClassVar[dict[str, tuple[float, float]]] = {
        "steps": (1, 10**9),
        "batch_size": (1, 4096),
        "lr": (1e-9, 1.0),
        "discriminator_lr": (1e-9, 1.0),
        "discriminator_every": (1, 10**6),
        "checkpoint_every": (1, 10**9),
        "validate_every": (1, 10**9),
        "validation_faces": (1, 1024),
        "log_every": (1, 10**9),
        "data_workers": (0, 64),
        "max_minutes": (1e-3, 1e7),
        "lr_drop_step": (1, 10**9),
    }

    def __post_init__(self) -> None:
        for name, (low, high) in self.RANGES.items():
            value = getattr(self, name)
            if value is None and name in ("max_minutes", "lr_drop_step"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                option = self.OPTIONS.get(name, "--" + name.replace("_", "-"))
                shown = [f"{v:,}" if isinstance(v, int) else f"{v:g}" for v in (low, high)]
                raise InputError(f"{option} must be between {shown[0]} and {shown[1]}, got {value!r}")

    # Command-line options whose names differ from their fields (the messages name the option).
    OPTIONS: ClassVar[dict[str, str]] = {"data_workers": "--workers", "lr_drop_step": "--lr-drop-at"}

    def to_dict(self) -> dict:
        values = asdict(self)
        values["weights"] = self.weights.to_dict()
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "TrainSettings":
        values = dict(values)
        values["weights"] = LossWeights(**values.get("weights", {}))
        return cls(**values)


@dataclass
class StepReport:
    step: int
    steps: int
    losses: dict[str, float]
    images_per_second: float
    eta_seconds: float
    validation: dict[str, float] | None = None


class Reconstructor(nn.Module):
    """encode -> style codes -> render as one forward, so DDP can wrap it."""

    def __init__(self, network: RGINetwork):
        super().__init__()
        self.network = network

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        network = self.network
        codes = network.style_codes(network.encode(images, labels))
        layout = RegionLayout(labels, network.config.num_regions)
        noise = network.G.random_noise(images.shape[0])
        return network.render(codes, layout, noise)


def frozen_prefixes(network: RGINetwork, freeze_shared_layers: bool) -> tuple[str, ...]:
    """Parameter name prefixes that do not train: the mapping network, which E4S never runs, and
    with ``freeze_shared_layers`` the synthesis layers that are not region-masked."""
    shared = [slot.name for slot in network.G.layer_slots() if not network.G.is_regional(slot)]
    return ("G.style.", *(f"G.{name}." for name in shared if freeze_shared_layers))


def trainable_parameters(network: RGINetwork, freeze_shared_layers: bool = False) -> list[nn.Parameter]:
    frozen = frozen_prefixes(network, freeze_shared_layers)
    return [p for name, p in network.named_parameters() if not name.startswith(frozen)]


class Trainer:
    def __init__(
        self,
        config: RGIConfig,
        settings: TrainSettings,
        run_dir: str | Path,
        parser: nn.Module | None = None,
        lpips: nn.Module | None = None,
        arcface: nn.Module | None = None,
        distributed: Distributed | None = None,
        data=None,
        init: tuple[str, Path] | None = None,
    ):
        """``data``: ``SyntheticFaces`` (default) or ``DatasetFaces``; ``init``: (kind, file)."""
        self.settings = settings
        self.run_dir = Path(run_dir)
        self.dist = distributed or Distributed.single()
        device = self.dist.device
        torch.manual_seed(settings.seed)  # identical initial weights on every rank
        self.network = RGINetwork(config).to(device)
        frozen = frozen_prefixes(self.network, settings.freeze_shared_layers)
        for name, parameter in self.network.named_parameters():
            parameter.requires_grad_(not name.startswith(frozen))
        self.init_report: InitReport | None = initialise(self.network, *init) if init else None
        self.ema = copy.deepcopy(self.network).eval().requires_grad_(False)
        self.reconstructor = self.dist.wrap(Reconstructor(self.network))
        self.optimizer = torch.optim.Adam(
            trainable_parameters(self.network, settings.freeze_shared_layers),
            lr=settings.lr,
            betas=(0.9, 0.99),
        )
        weights = settings.weights
        self.discriminator = Discriminator().to(device) if weights.adversarial > 0 else None
        self.wrapped_discriminator = self.dist.wrap(self.discriminator) if self.discriminator else None
        self.d_optimizer = (
            torch.optim.Adam(self.discriminator.parameters(), lr=settings.discriminator_lr, betas=(0.9, 0.99))
            if self.discriminator
            else None
        )
        self.parser = parser.to(device) if parser is not None else None
        self.objective = build_objective(
            weights,
            parser=self.parser,
            discriminator=self.discriminator,
            lpips=lpips.to(device) if lpips is not None else None,
            arcface=arcface.to(device) if arcface is not None else None,
        ).to(device)
        self.step = 0
        self.history: list[dict] = []
        self.data = data or SyntheticFaces(config.out_size)
        self.validation_batch = self.data.validation(settings.validation_faces)
        self.skipped = SkipReport()  # faces of the run's batches that could not be read
        self.faces_read = 0

    # -- one step -------------------------------------------------------------------------------
    def train_step(self, batch: FaceBatch) -> dict[str, float]:
        device = self.dist.device
        self.skipped.merge(batch.skipped)
        if len(batch.images) == 0:  # every face of the batch unreadable
            # Fatal under DDP (the other ranks would wait for this one's gradients forever) and
            # when nothing has been readable yet (the data is broken, not a few files).
            if self.dist.active or not self.faces_read:
                raise InputError(f"no face of a training batch could be read: {self.skipped.summary()}")
            self.step += 1
            return {}
        self.faces_read += len(batch.images)
        self._set_learning_rates()
        images, labels = batch.images.to(device), batch.labels.to(device)
        if self.discriminator is not None:
            self.discriminator.requires_grad_(False)  # the G step must not move D
        generated = self.reconstructor(images, labels)
        loss, values = self.objective(generated, images)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._update_ema(images.shape[0] * self.dist.world_size)
        if self.discriminator is not None and self.step % self.settings.discriminator_every == 0:
            values["discriminator"] = self._discriminator_step(generated.detach(), images)
        self.step += 1
        return values

    def _set_learning_rates(self) -> None:
        """The settings' rates, x 0.1 from ``lr_drop_step`` on (also right after a resume)."""
        drop_at = self.settings.lr_drop_step
        factor = 0.1 if drop_at is not None and self.step >= drop_at else 1.0
        optimizers = [(self.optimizer, self.settings.lr), (self.d_optimizer, self.settings.discriminator_lr)]
        for optimizer, rate in optimizers:
            for group in optimizer.param_groups if optimizer is not None else []:
                group["lr"] = rate * factor

    def _discriminator_step(self, generated: torch.Tensor, real: torch.Tensor) -> float:
        self.discriminator.requires_grad_(True)
        loss = logistic_discriminator_loss(self.wrapped_discriminator, generated, real)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        return loss.item()

    def _update_ema(self, images_this_step: int) -> None:
        seen = (self.step + 1) * images_this_step
        half_life = min(self.settings.ema_half_life_images, seen * self.settings.ema_rampup)
        beta = 0.5 ** (images_this_step / max(half_life, 1e-8))
        with torch.no_grad():
            for ema_p, p in zip(self.ema.parameters(), self.network.parameters(), strict=True):
                ema_p.lerp_(p, 1 - beta)
            for ema_b, b in zip(self.ema.buffers(), self.network.buffers(), strict=True):
                ema_b.copy_(b)

    # -- the loop ---------------------------------------------------------------------------------
    def fit(self, progress: Callable[[StepReport], None] | None = None) -> None:
        settings = self.settings
        batches = self.data.stream(
            settings.batch_size,
            start_batch=self.step,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
            workers=settings.data_workers,
            seed=settings.seed,
        )
        start, start_step = time.perf_counter(), self.step
        window: dict[str, list[float]] = {}
        while self.step < settings.steps:
            values = self.train_step(next(batches))
            for name, value in values.items():
                window.setdefault(name, []).append(value)
            elapsed = time.perf_counter() - start
            out_of_time = settings.max_minutes is not None and elapsed > settings.max_minutes * 60
            done = self.step >= settings.steps or out_of_time
            validation = None
            if self.step % settings.validate_every == 0 or done:
                validation = self.validate()
            if self.step % settings.log_every == 0 or done or validation:
                mean = {name: sum(v) / len(v) for name, v in window.items()}
                rate = (self.step - start_step) * settings.batch_size * self.dist.world_size / elapsed
                eta = elapsed / (self.step - start_step) * (settings.steps - self.step)
                report = StepReport(self.step, settings.steps, mean, rate, eta, validation)
                self.history.append({"step": self.step, "elapsed": elapsed, **mean, **(validation or {})})
                if progress is not None and self.dist.is_main:
                    progress(report)
                window = {}
            if self.step % settings.checkpoint_every == 0 or done:
                self.save_checkpoint()
            if out_of_time:
                log.info("stopping after %.1f minutes (max_minutes)", elapsed / 60)
                break

    def validate(self) -> dict[str, float]:
        if len(self.validation_batch.images) == 0:  # every validation face unreadable (counted)
            return {}
        return validate(self.ema, self.validation_batch, self.dist.device)

    # -- checkpoints ------------------------------------------------------------------------------
    def checkpoint_path(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    def save_checkpoint(self) -> Path | None:
        self.dist.barrier()
        if not self.dist.is_main:
            return None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "config": self.network.config.to_dict(),
            "settings": self.settings.to_dict(),
            "network": self.network.state_dict(),
            "ema": self.ema.state_dict(),
            "latent_avg": self.ema.latent_avg.cpu(),
            "optimizer": self.optimizer.state_dict(),
            "discriminator": self.discriminator.state_dict() if self.discriminator else None,
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer else None,
            "history": self.history,
            "data": self.data.description,
            "faces_read": self.faces_read,
            "skipped": self.skipped.to_dict(),
            # the noise of the next steps: with it a resumed run renders what an uninterrupted one would
            "rng": _rng_state(self.dist.device),
        }
        return atomic_write(self.checkpoint_path(), lambda temp: torch.save(payload, temp))

    def resume(self) -> bool:
        """Load ``latest.pt`` from the run folder if there is one; True if resumed."""
        path = self.checkpoint_path()
        if not path.exists():
            return False
        try:
            payload = torch.load(path, map_location=self.dist.device, weights_only=True)
        except Exception as error:  # torch's messages run to many lines; users get the first
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise CheckpointError(
                f"{path} cannot be resumed: it is damaged or not a training checkpoint ({reason});"
                " delete it to start the run afresh"
            ) from error
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path} is not an e4s-studio training checkpoint")
        if RGIConfig.from_dict(payload["config"]) != self.network.config:
            raise CheckpointError(f"{path} was trained with another network configuration")
        trained_on = payload.get("data", {"kind": "synthetic"})
        if _data_identity(trained_on) != _data_identity(self.data.description):
            raise CheckpointError(
                f"{path} was trained on {_describe_data(trained_on)},"
                f" not {_describe_data(self.data.description)};"
                " resume it with the same --data, or start a new run folder"
            )
        self.network.load_state_dict(payload["network"])
        self.ema.load_state_dict(payload["ema"])
        with torch.no_grad():  # a buffer outside the state dict (as in the authors' files)
            self.network.latent_avg.copy_(payload["latent_avg"])
            self.ema.latent_avg.copy_(payload["latent_avg"])
        saved_freezing = payload.get("settings", {}).get("freeze_shared_layers", False)
        if saved_freezing != self.settings.freeze_shared_layers:
            raise CheckpointError(
                f"{path} was started {'with' if saved_freezing else 'without'} --init (which keeps the"
                " shared generator layers frozen); resume it the same way"
            )
        self.optimizer.load_state_dict(payload["optimizer"])  # the rates: this run's settings win
        if self.discriminator is not None and payload.get("discriminator") is not None:
            self.discriminator.load_state_dict(payload["discriminator"])
            self.d_optimizer.load_state_dict(payload["d_optimizer"])
        self.step = payload["step"]
        self._set_learning_rates()
        self.history = list(payload.get("history", []))
        self.faces_read = int(payload.get("faces_read", 0))
        self.skipped = SkipReport.from_dict(payload.get("skipped"))
        if payload.get("rng") is not None:  # absent in checkpoints written before it was saved
            _restore_rng_state(payload["rng"], self.dist.device)
        return True

    def export(self, path: str | Path, metadata: dict | None = None) -> Path:
        """Write the EMA network as a model file ``load_model`` reads."""
        info = {"training_steps": self.step, "training": self.settings.to_dict(), **(metadata or {})}
        return save_model(self.ema, path, metadata=info)


def _data_identity(description: dict) -> tuple:
    return tuple(description.get(key) for key in ("kind", "path", "faces", "label_format", "labels"))


def _describe_data(description: dict) -> str:
    if description.get("kind") == "synthetic":
        return "the synthetic corpus"
    return f"{description.get('kind')}:{description.get('path')} ({description.get('faces')} faces)"


def _rng_state(device: torch.device) -> dict[str, torch.Tensor | None]:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def _restore_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"].cpu())
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)


def format_report(report: StepReport) -> str:
    losses = " ".join(f"{name} {value:.4f}" for name, value in report.losses.items())
    seconds = int(report.eta_seconds)
    eta = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    line = f"step {report.step}/{report.steps} | {losses} | {report.images_per_second:.1f} img/s | ETA {eta}"
    if report.validation:
        line += " | val " + " ".join(f"{k} {v:.4f}" for k, v in report.validation.items())
    return line
