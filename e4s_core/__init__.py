"""E4S Studio's engine: regional GAN inversion for face editing and swapping (no Qt).

model = e4s_core.load_model("iteration_300000.pt")
vectors = model.encode(image, labels)     # [B, 12, 1280]
codes = model.style_codes(vectors)        # [B, 12, 18, 512]
result = model.render(codes, labels)      # [B, 3, 1024, 1024]

The names below that need PyTorch are imported on first use, so that ``import e4s_core.errors``
(the command line's first import) costs milliseconds and the studio can show itself before
PyTorch has loaded.
"""

import importlib

from .errors import CheckpointError, DeviceError, E4SError, InputError

_LAZY = {  # name -> the module that defines it
    "load_model": ".checkpoint",
    "save_model": ".checkpoint",
    "resolve_device": ".device",
    "E4SModel": ".model",
    "ModelInfo": ".model",
    "RGIConfig": ".network",
    "RGINetwork": ".network",
    "RegionLayout": ".network.regional",
}

__all__ = ["CheckpointError", "DeviceError", "E4SError", "InputError", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
