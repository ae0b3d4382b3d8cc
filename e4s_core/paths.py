"""Where E4S Studio keeps its files. One place for every path the code uses."""

import importlib.util
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_PACKAGE = "e4s_studio_resources"  # resources/ inside an installed wheel (pyproject.toml)


def _resources_dir() -> Path:
    if "E4S_RESOURCES" in os.environ:
        return Path(os.environ["E4S_RESOURCES"])
    beside_source = PROJECT_ROOT / "resources"  # a checkout or an editable install
    if beside_source.is_dir():
        return beside_source
    spec = importlib.util.find_spec(RESOURCES_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return beside_source


RESOURCES_DIR = _resources_dir()
MODELS_DIR = RESOURCES_DIR / "models"
DEFAULT_MODEL_FILE = MODELS_DIR / "e4s-studio-default.pt"
CORPUS_PARSER_FILE = MODELS_DIR / "corpus-parser.pt"
# MediaPipe's selfie segmentation (Apache-2.0, licence beside it): person vs background.
PERSON_SEGMENTATION_FILE = MODELS_DIR / "selfie_segmentation.tflite"
# MediaPipe's face mesh (Apache-2.0, licence beside it): the eyes' and inner lips' outlines.
FACE_MESH_FILE = MODELS_DIR / "face_landmark.tflite"


def data_dir() -> Path:
    """Per-user data (``E4S_DATA`` overrides): installed model files and their registry."""
    if "E4S_DATA" in os.environ:
        return Path(os.environ["E4S_DATA"])
    import platformdirs

    return Path(platformdirs.user_data_dir("e4s-studio", appauthor=False))


def cache_dir() -> Path:
    """Per-user cache (``E4S_CACHE`` overrides), for large files we can rebuild."""
    if "E4S_CACHE" in os.environ:
        return Path(os.environ["E4S_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "e4s-studio"
