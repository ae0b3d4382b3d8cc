"""Training E4S networks on the synthetic corpus (``e4s-studio train``) and the loss terms."""

from .default_model import DEFAULT_MODEL_CONFIG
from .objective import LossWeights, build_objective
from .trainer import Trainer, TrainSettings

__all__ = ["DEFAULT_MODEL_CONFIG", "LossWeights", "TrainSettings", "Trainer", "build_objective"]
