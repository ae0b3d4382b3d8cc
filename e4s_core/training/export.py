"""Turn a training run's checkpoint into a model file (its EMA weights) that ``load_model`` reads."""

from pathlib import Path

import torch

from ..checkpoint import save_model
from ..errors import CheckpointError
from ..network import RGIConfig, RGINetwork
from .trainer import CHECKPOINT_FORMAT, CHECKPOINT_NAME


def read_run(run_dir: str | Path) -> dict:
    """The payload of ``RUN_DIR/latest.pt`` (tensors and plain values only)."""
    path = Path(run_dir) / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"No training checkpoint in {run_dir} (expected {CHECKPOINT_NAME})")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(f"{path} cannot be read: {str(error).splitlines()[0]}") from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an e4s-studio training checkpoint")
    return payload


def export_run(run_dir: str | Path, output: str | Path, name: str | None = None) -> Path:
    """Write the run's EMA network to ``output``, with its training record as metadata."""
    payload = read_run(run_dir)
    network = RGINetwork(RGIConfig.from_dict(payload["config"]))
    network.load_state_dict(payload["ema"])
    network.latent_avg.copy_(payload["latent_avg"])
    history = payload.get("history", [])
    validations = [h for h in history if "psnr" in h]
    metadata = {
        "name": name or Path(output).stem,
        "training_steps": payload["step"],
        "training": payload["settings"],
        "final_validation": validations[-1] if validations else {},
    }
    return save_model(network, output, metadata=metadata)
