"""Choice of compute device: CUDA when present, else MPS, else CPU.

``E4S_DEVICE`` (e.g. ``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the
automatic choice; an explicit argument overrides both. Nothing here touches a
GPU at import time.
"""

import os

import torch

from .errors import DeviceError

DEVICE_ENV_VAR = "E4S_DEVICE"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(requested: str | torch.device | None = None) -> torch.device:
    """The device to run on, validated so that a typo fails here, not mid-render."""
    choice = requested if requested is not None else os.environ.get(DEVICE_ENV_VAR) or None
    if choice is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as error:
        raise DeviceError(
            f"Unknown device {choice!r} — use 'cpu', 'cuda', 'cuda:N' or 'mps'"
            f" (set by {'the caller' if requested is not None else DEVICE_ENV_VAR})."
        ) from error
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"Device {choice!r} was requested but this PyTorch has no usable CUDA"
                f" (torch {torch.__version__}). Install a CUDA build of torch (see README)"
                f" or unset {DEVICE_ENV_VAR} to run on the CPU."
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"Device {choice!r} does not exist: {torch.cuda.device_count()} CUDA device(s)."
            )
    elif device.type == "mps" and not _mps_available():
        raise DeviceError(f"Device {choice!r} was requested but MPS is not available here.")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"Device type {device.type!r} is not supported; use cpu, cuda or mps.")
    return device
