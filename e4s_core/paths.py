"""Where E4S Studio keeps its files. One place for every path the code uses."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = Path(os.environ.get("E4S_RESOURCES", PROJECT_ROOT / "resources"))
MODELS_DIR = RESOURCES_DIR / "models"
DEFAULT_MODEL_FILE = MODELS_DIR / "e4s-studio-default.pt"


def cache_dir() -> Path:
    """Per-user cache (``E4S_CACHE`` overrides), for large files we can rebuild."""
    if "E4S_CACHE" in os.environ:
        return Path(os.environ["E4S_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "e4s-studio"
