"""The RGI network (E4S's encoder, per-region MLPs and mask-modulated StyleGAN2).

Module and parameter names mirror the authors' ``Net3`` so that their
checkpoint loads with a strict ``load_state_dict``. Everything their CUDA
extensions did is plain PyTorch here.
"""

from .config import RGIConfig
from .rgi import RGINetwork

__all__ = ["RGIConfig", "RGINetwork"]
