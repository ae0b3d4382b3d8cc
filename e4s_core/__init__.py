"""E4S Studio's engine: regional GAN inversion for face editing and swapping (no Qt).

model = e4s_core.load_model("iteration_300000.pt")
vectors = model.encode(image, labels)     # [B, 12, 1280]
codes = model.style_codes(vectors)        # [B, 12, 18, 512]
result = model.render(codes, labels)      # [B, 3, 1024, 1024]
"""

from .checkpoint import load_model, save_model
from .device import resolve_device
from .errors import CheckpointError, DeviceError, E4SError, InputError
from .model import E4SModel, ModelInfo
from .network import RGIConfig, RGINetwork
from .network.regional import RegionLayout

__all__ = [
    "CheckpointError",
    "DeviceError",
    "E4SError",
    "E4SModel",
    "InputError",
    "ModelInfo",
    "RGIConfig",
    "RGINetwork",
    "RegionLayout",
    "load_model",
    "resolve_device",
    "save_model",
]
