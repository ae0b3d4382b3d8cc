"""Reading and writing model files: the authors' checkpoint and our own format.

Files are read with ``torch.load(weights_only=True)``: tensors and plain
containers only, never arbitrary pickled code. Every failure becomes a
``CheckpointError`` that names the file and what is wrong with it.
"""

import hashlib
import logging
import os
import pickle
import re
from pathlib import Path

import torch

from . import paths
from .device import resolve_device
from .errors import CheckpointError
from .files import atomic_write
from .model import E4SModel, ModelInfo
from .network import RGIConfig, RGINetwork
from .runtime import tune_cpu_allocator

log = logging.getLogger(__name__)

OUR_FORMAT = "e4s-studio"
OUR_FORMAT_VERSION = 1
AUTHORS_ENCODER_UNITS = (3, 4, 14, 3)  # not recoverable from key names: equal-width stages
MAX_WEIGHT = 1e6  # no trained weight comes near this; a flipped exponent bit does
PRECISIONS = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def load_model(
    path: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    precision: str = "float32",
) -> E4SModel:
    """Load the authors' ``iteration_300000.pt`` or an E4S Studio model file.

    ``path=None`` loads the bundled default model. ``device=None`` picks CUDA, MPS
    or CPU (``E4S_DEVICE`` overrides). ``precision`` is float32 (exact), or float16 /
    bfloat16 for speed on GPUs.
    """
    if precision not in PRECISIONS:
        raise CheckpointError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    target = resolve_device(device)
    file = _resolve_path(path)
    payload = _read(file)
    config, state, latent_avg, file_format, metadata = _interpret(payload, file)
    network = _assemble(config, state, latent_avg, file)
    _verify_checksum(payload, state, latent_avg, file)
    network.to(device=target, dtype=PRECISIONS[precision])
    if target.type == "cpu":
        tune_cpu_allocator()
    name = metadata.get("name") or file.stem
    return E4SModel(network, ModelInfo(name, str(file), file_format, metadata))


def read_model_config(path: str | os.PathLike) -> tuple[RGIConfig, str]:
    """(the network shape, "authors" or "e4s-studio") of a model file, without building it."""
    file = _resolve_path(path)
    config, _, _, file_format, _ = _interpret(_read(file), file)
    return config, file_format


def save_model(network: RGINetwork, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Write ``network`` in our format, atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    payload = {
        "format": OUR_FORMAT,
        "format_version": OUR_FORMAT_VERSION,
        "config": network.config.to_dict(),
        "state_dict": {k: v.detach().float().cpu().contiguous() for k, v in network.state_dict().items()},
        "latent_avg": network.latent_avg.detach().float().cpu().contiguous(),
        "metadata": dict(metadata or {}),
    }
    payload["checksum"] = _checksum(payload["state_dict"], payload["latent_avg"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda temp: torch.save(payload, temp))


def convert_checkpoint(source, destination, trust_pickle: bool = False) -> Path:
    """Rewrite any readable model file as a tensors-only E4S Studio file.

    ``trust_pickle`` unpickles Python objects in ``source`` (which can run code):
    the user's explicit decision for a file they trust, never a silent fallback.
    """
    file = _resolve_path(source)
    if trust_pickle:
        try:
            payload = torch.load(file, map_location="cpu", weights_only=False)
        except Exception as error:
            raise CheckpointError(f"{file.name} could not be read: {error}") from error
    else:
        payload = _read(file)
    config, state, latent_avg, file_format, metadata = _interpret(payload, file)
    network = _assemble(config, state, latent_avg, file)
    metadata = {**metadata, "name": metadata.get("name") or file.stem, "converted_from": file.name}
    return save_model(network, destination, {**metadata, "source_format": file_format})


# -- reading ---------------------------------------------------------------------------------
def _resolve_path(path) -> Path:
    if path is None:
        if not paths.DEFAULT_MODEL_FILE.is_file():
            raise CheckpointError(
                "No bundled default model found"
                f" (expected {paths.DEFAULT_MODEL_FILE.name} in {paths.MODELS_DIR}):"
                " reinstall E4S Studio, or pass a model file, e.g. the authors' iteration_300000.pt."
            )
        return paths.DEFAULT_MODEL_FILE
    file = Path(path).expanduser()
    if not file.exists():
        raise CheckpointError(f"Model file not found: {file}")
    if not file.is_file():
        raise CheckpointError(f"{file} is a folder, not a model file — pick the .pt file inside it.")
    if file.stat().st_size == 0:
        raise CheckpointError(f"{file.name} is empty (0 bytes) — download or copy it again.")
    return file


def read_weights_file(path: str | os.PathLike, convertible: bool = False):
    """The tensors (and plain containers) in a weight file, never unpickling code.

    Missing, empty, truncated, folder, pickled objects: a CheckpointError naming the problem.
    ``convertible``: the file is a model that ``convert-checkpoint --trust-pickle`` can rescue.
    """
    if path is None:
        raise CheckpointError("No weight file given.")
    return _read(_resolve_path(path), convertible)


def _read(file: Path, convertible: bool = True):
    try:
        try:
            return torch.load(file, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as error:
            if "mmap" not in str(error):
                raise
            return torch.load(file, map_location="cpu", weights_only=True)  # legacy non-zip file
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL ([\w.]+)", str(error))
        if not found and "Unsupported global" not in str(error):
            raise CheckpointError(
                f"{file.name} is not a readable PyTorch checkpoint (not a weight file, or damaged)."
            ) from error
        what = f" ({found.group(1)})" if found else ""
        rescue = (
            f" If you trust the file, convert it once with: e4s-studio convert-checkpoint --trust-pickle"
            f" {file.name} converted.pt"
            if convertible
            else " Use a file that holds only the weights (a state dict of tensors)."
        )
        raise CheckpointError(
            f"{file.name} contains pickled Python objects{what} besides tensors. E4S Studio does"
            f" not unpickle them, because that can run arbitrary code.{rescue}"
        ) from error
    except Exception as error:  # torch reports damaged files with many exception types
        raise CheckpointError(
            f"{file.name} is not a readable PyTorch checkpoint (truncated or corrupt?): {_first_line(error)}"
        ) from error


def _first_line(error: Exception, limit: int = 160) -> str:
    """torch's own messages run to many lines; the user gets the first, shortened."""
    line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _interpret(payload, file: Path):
    if not isinstance(payload, dict):
        raise CheckpointError(f"{file.name} holds a {type(payload).__name__}, not a model checkpoint.")
    if payload.get("format") == OUR_FORMAT:
        return _interpret_ours(payload, file)
    if "state_dict" in payload:
        return _interpret_authors(payload, file)
    if any(str(k).startswith(("encoder.", "G.", "module.")) for k in payload):
        raise CheckpointError(
            f"{file.name} is a bare state dict; it lacks latent_avg, which the model needs."
            " Use the full training checkpoint (e.g. iteration_300000.pt)."
        )
    keys = ", ".join(sorted(map(str, payload))[:8])
    raise CheckpointError(f"{file.name} is not an E4S model: it has no state_dict (keys: {keys}).")


def _interpret_ours(payload, file: Path):
    version = payload.get("format_version")
    if version != OUR_FORMAT_VERSION:
        raise CheckpointError(
            f"{file.name} is format version {version}; this E4S Studio reads version"
            f" {OUR_FORMAT_VERSION}. Update E4S Studio or re-export the model."
        )
    for key in ("config", "state_dict", "latent_avg"):
        if key not in payload:
            raise CheckpointError(f"{file.name} is incomplete: it has no '{key}' entry.")
    try:
        config = RGIConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{file.name} has an invalid model config: {error}") from error
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict) or not isinstance(payload["state_dict"], dict):
        raise CheckpointError(f"{file.name} is damaged: its metadata or state_dict is not a dict.")
    return config, payload["state_dict"], payload["latent_avg"], OUR_FORMAT, metadata


def _interpret_authors(payload, file: Path):
    if "latent_avg" not in payload:
        raise CheckpointError(f"{file.name} has a state_dict but no latent_avg, which the model needs.")
    if not isinstance(payload["state_dict"], dict):
        raise CheckpointError(
            f"{file.name}: state_dict is a {type(payload['state_dict']).__name__}, not a dict."
        )
    # DDP saved every key as "module.<name>"; only the first occurrence is a wrapper prefix.
    state = {
        (k[len("module.") :] if k.startswith("module.") else k): v for k, v in payload["state_dict"].items()
    }
    config = infer_authors_config(state, file)
    return config, state, payload["latent_avg"], "authors", {}


def infer_authors_config(state: dict, file: Path) -> RGIConfig:
    """Sizes of an authors'-layout network, read from its tensor shapes."""
    try:
        first_mlp = state["MLPs.0.mlp.0.weight"]
        style_dim = first_mlp.shape[0]
        noise_maps = sum(1 for k in state if k.startswith("G.noises.noise_"))
        out_size = 2 ** ((noise_maps + 3) // 2)
        log_size = (noise_maps + 3) // 2
        channels = [state["G.input.input"].shape[1]]
        channels += [state[f"G.convs.{2 * j}.conv.weight"].shape[1] for j in range(log_size - 2)]
        starts = [0, 3, 7, 21]
        widths = [state["encoder.input_layer.0.weight"].shape[0]]
        widths += [state[f"encoder.body.{u}.res_layer.1.weight"].shape[0] for u in starts]
        return RGIConfig(
            num_regions=sum(1 for k in state if re.fullmatch(r"MLPs\.\d+\.mlp\.0\.weight", k)),
            out_size=out_size,
            style_dim=style_dim,
            mapping_layers=sum(1 for k in state if re.fullmatch(r"G\.style\.\d+\.weight", k)),
            generator_channels=tuple(channels),
            regional_layers=state["MLPs.0.mlp.2.weight"].shape[0] // style_dim,
            encoder_widths=tuple(widths),
            encoder_units=AUTHORS_ENCODER_UNITS,
        )
    except KeyError as error:
        raise CheckpointError(
            f"{file.name} is not an E4S RGI checkpoint: tensor {error.args[0]} is missing."
        ) from error
    except (ValueError, AttributeError, IndexError) as error:
        raise CheckpointError(f"{file.name} has an RGI layout this version cannot read: {error}") from error


def _check_values(value, key: str, file: Path) -> None:
    """Weights that are NaN, infinite or absurdly large are a damaged file, not a model."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.numel() == 0:
        return
    largest = value.detach().abs().max()
    if not torch.isfinite(largest) or largest > MAX_WEIGHT:
        what = "NaN or infinite values" if not torch.isfinite(largest) else f"a value of {largest.item():.3g}"
        raise CheckpointError(
            f"{file.name} is damaged: tensor {key} holds {what}. Copy or download the file again."
        )


def _verify_checksum(payload: dict, state: dict, latent_avg, file: Path) -> None:
    """Damage that leaves shapes and values plausible still changes the bytes; our files carry a sum."""
    checksum = payload.get("checksum")  # authors' files, and ours written before checksums, have none
    if checksum is not None and checksum != _checksum(state, latent_avg):
        raise CheckpointError(
            f"{file.name} is damaged: its tensors do not match the checksum written with them."
            " Copy or export the file again."
        )


def _checksum(state: dict, latent_avg: torch.Tensor) -> str:
    """sha256 over every tensor's bytes in key order: what our format stores to notice damage."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    digest.update(latent_avg.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


# Below this many weights the network is built on the CPU: its random init takes ~0.1 s, while
# the first use of the meta device imports ~1.5 s of PyTorch internals (a slower studio start).
# Above it (the authors' model), meta avoids initialising and holding a second copy of every weight.
META_BUILD_FROM_WEIGHTS = 50_000_000


def _assemble(config: RGIConfig, state: dict, latent_avg, file: Path) -> RGINetwork:
    weights = sum(v.numel() for v in state.values() if isinstance(v, torch.Tensor))
    with torch.device("meta" if weights >= META_BUILD_FROM_WEIGHTS else "cpu"):
        network = RGINetwork(config)
    expected = network.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} tensors missing ({_few(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensors ({_few(unexpected)})")
        raise CheckpointError(
            f"{file.name} does not match the E4S network: {'; '.join(parts)}."
            " The file may be partial or from a different model."
        )
    for key, value in state.items():
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != tuple(expected[key].shape):
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise CheckpointError(
                f"{file.name}: tensor {key} has shape {got}, expected {tuple(expected[key].shape)}."
            )
    for key, value in [*state.items(), ("latent_avg", latent_avg)]:
        _check_values(value, key, file)
    rows, dim = config.num_w_layers, config.style_dim
    if not isinstance(latent_avg, torch.Tensor) or tuple(latent_avg.shape) not in ((rows, dim), (dim,)):
        got = tuple(latent_avg.shape) if isinstance(latent_avg, torch.Tensor) else type(latent_avg).__name__
        raise CheckpointError(f"{file.name}: latent_avg has shape {got}, expected ({rows}, {dim}).")
    network.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    network.latent_avg = latent_avg.float().expand(rows, dim).clone()
    return network


def _few(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", …" if len(names) > limit else "")
