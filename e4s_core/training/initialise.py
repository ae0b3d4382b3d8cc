"""Where a run's first weights come from (``--init KIND:FILE``).

    authors:FILE    fine-tune the authors' ``iteration_300000.pt`` (read by our model loader)
    model:FILE      continue from one of our model files
    stylegan2:FILE  a rosinality-format StyleGAN2 ``.pt`` (e.g. ``stylegan2-ffhq-config-f.pt``):
                    its ``g_ema`` into the generator, as the authors started, non-strict

What stylegan2: takes and leaves, from the reference sheet (2.3): E4S's generator has the same
modules and parameter names as rosinality's (mapping ``style``, ``input``, ``conv1``, ``to_rgb1``,
``convs``, ``to_rgbs``, ``noises``); region masking changes how layers run, not what they hold.
So every ``g_ema`` tensor is taken, and what the file cannot give is what E4S adds around the
generator: the encoder (``encoder.*``) and the per-region MLPs (``MLPs.*``), which start from
their random initialisation. Of the file's other entries, ``g`` (the non-EMA generator) and the
optimiser states are not used, and neither is ``d``: our discriminator is a smaller network than
rosinality's. ``latent_avg`` (the mean W, one 512-d row) becomes every row of ours; a file without
one gets the mean of 10,000 mapped random z, as pSp computes it.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..checkpoint import load_model, read_model_config, read_weights_file
from ..errors import CheckpointError, InputError
from ..network import RGIConfig, RGINetwork

INIT_KINDS = ("authors", "model", "stylegan2")
LATENT_AVG_SAMPLES = 10_000


@dataclass
class InitReport:
    source: str
    taken: list[str] = field(default_factory=list)  # our parameter/buffer names given by the file
    not_in_file: list[str] = field(default_factory=list)  # ours, left at their initialisation
    unused: list[str] = field(default_factory=list)  # the file's entries not taken
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"initialised from {self.source}: took {len(self.taken)} tensors"]
        if self.not_in_file:
            lines.append("not in the file (trained from their initialisation): " + _grouped(self.not_in_file))
        if self.unused:
            lines.append("in the file but not taken: " + _grouped(self.unused))
        return lines + self.notes


def _grouped(names: list[str]) -> str:
    """'encoder.* (125), MLPs.* (48), d': names grouped by their first component."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.split(".")[0], []).append(name)
    return ", ".join(
        head if members == [head] else f"{head}.* ({len(members)})" for head, members in groups.items()
    )


def parse_init(text: str) -> tuple[str, Path]:
    kind, _, path = text.partition(":")
    if kind not in INIT_KINDS or not path:
        raise InputError(f"--init {text!r}: expected {', '.join(k + ':FILE' for k in INIT_KINDS)}")
    file = Path(path)
    if not file.is_file():
        raise InputError(f"--init {kind}: {file} is not a file")
    return kind, file


def config_of(kind: str, path: str | os.PathLike) -> RGIConfig | None:
    """The network shape an authors:/model: file fixes (None for stylegan2:, which fixes only G);
    read from the file's tensor shapes, without building the network."""
    if kind == "stylegan2":
        return None
    config, file_format = read_model_config(path)
    _check_kind(kind, file_format, path)
    return config


def _check_kind(kind: str, file_format: str, path) -> None:
    if file_format != ("authors" if kind == "authors" else "e4s-studio"):
        other = "model" if kind == "authors" else "authors"
        raise InputError(f"--init {kind}:{Path(path).name} is not that kind of file: use --init {other}:FILE")


def _load(kind: str, path):
    model = load_model(path, device="cpu")
    _check_kind(kind, model.info.file_format, path)
    return model


def initialise(network: RGINetwork, kind: str, path: str | os.PathLike) -> InitReport:
    """Load ``path`` into ``network`` (in place) and say what was taken."""
    if kind == "stylegan2":
        return _from_stylegan2(network, Path(path))
    source = _load(kind, path).network
    ours, theirs = network.state_dict(), source.state_dict()
    if ours.keys() != theirs.keys() or any(ours[k].shape != theirs[k].shape for k in ours):
        raise InputError(
            f"--init {kind}:{Path(path).name} is a differently sized network"
            f" ({_differences(source.config, network.config)}); leave --config out to train the file's shape"
        )
    with torch.no_grad():
        network.load_state_dict(source.state_dict())
        network.latent_avg.copy_(source.latent_avg)
    return InitReport(f"{kind}:{Path(path).name}", taken=list(network.state_dict()) + ["latent_avg"])


def _differences(file: RGIConfig, run: RGIConfig) -> str:
    """'encoder_units (3, 4, 14, 3) in the file, (1, 1, 2, 1) in this run; ...'."""
    theirs, ours = file.to_dict(), run.to_dict()
    changed = [f"{k} {theirs[k]} in the file, {ours[k]} in this run" for k in theirs if theirs[k] != ours[k]]
    return "; ".join(changed) or "same configuration"


def _shape(config: RGIConfig) -> str:
    return f"{config.out_size} px, {config.style_dim}-d style, channels {list(config.generator_channels)}"


def _from_stylegan2(network: RGINetwork, path: Path) -> InitReport:
    payload = read_weights_file(path)
    if not isinstance(payload, dict) or not isinstance(payload.get("g_ema"), dict):
        keys = (
            ", ".join(sorted(map(str, payload))[:8]) if isinstance(payload, dict) else type(payload).__name__
        )
        raise CheckpointError(f"{path.name} is not a rosinality StyleGAN2 checkpoint: no g_ema (has: {keys})")
    file_g = payload["g_ema"]
    ours = network.G.state_dict()
    wrong = [k for k in ours if k in file_g and tuple(file_g[k].shape) != tuple(ours[k].shape)]
    missing, extra = [k for k in ours if k not in file_g], [k for k in file_g if k not in ours]
    if wrong or missing or extra:  # same architecture, so any difference is a different size
        example = (
            f"{wrong[0]} {tuple(file_g[wrong[0]].shape)} vs {tuple(ours[wrong[0]].shape)}"
            if wrong
            else f"{len(extra)} tensors only in the file, {len(missing)} only in ours,"
            f" e.g. {(extra or missing)[0]}"
        )
        raise InputError(
            f"{path.name} is a {_stylegan2_shape(file_g)} StyleGAN2; this run's generator is"
            f" {_shape(network.config)} ({example}). Pick the --config of the file's size"
            " (--config authors for a 1024 px FFHQ generator)."
        )
    taken = [k for k in ours if k in file_g]
    with torch.no_grad():
        network.G.load_state_dict({k: file_g[k] for k in taken}, strict=False)
    report = InitReport(f"stylegan2:{path.name}", taken=["G." + k for k in taken])
    report.not_in_file = [k for k in network.state_dict() if not k.startswith("G.") or k[2:] not in file_g]
    report.unused = [str(k) for k in payload if k not in ("g_ema", "latent_avg")]
    _set_latent_avg(network, payload.get("latent_avg"), report)
    return report


def _stylegan2_shape(g_ema: dict) -> str:
    noise_sizes = [t.shape[-1] for k, t in g_ema.items() if k.startswith("noises.")]
    style = g_ema.get("style.1.weight")
    size = f"{max(noise_sizes)} px" if noise_sizes else "differently built"
    return size + (f", {style.shape[0]}-d style" if style is not None else "")


def _set_latent_avg(network: RGINetwork, latent_avg, report: InitReport) -> None:
    rows, width = network.latent_avg.shape
    with torch.no_grad():
        if latent_avg is None:
            z = torch.randn(LATENT_AVG_SAMPLES, width, generator=torch.Generator().manual_seed(0))
            mean = network.G.style(z.to(network.latent_avg.device)).mean(0)
            report.notes.append(
                f"the file has no latent_avg: the mean of {LATENT_AVG_SAMPLES} mapped z is used"
            )
        else:
            latent_avg = torch.as_tensor(latent_avg).float()
            if latent_avg.numel() == 0 or latent_avg.numel() % width:
                raise InputError(
                    f"the file's latent_avg has {latent_avg.numel()} values, not rows of {width}:"
                    " it belongs to another generator"
                )
            mean = latent_avg.reshape(-1, width)[0]
        network.latent_avg.copy_(mean.to(network.latent_avg).expand(rows, width))
    report.taken.append("latent_avg")
