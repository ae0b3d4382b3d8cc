"""The shipped MediaPipe models run by LiteRT (``ai-edge-litert``): availability and loading.

LiteRT has wheels for Linux x86-64, Windows and macOS on Apple silicon; elsewhere the parser
works without the models (GrabCut for the person, dlib's points for the eyes and mouth).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import CheckpointError


def litert_available() -> bool:
    """Is LiteRT installed?"""
    return importlib.util.find_spec("ai_edge_litert") is not None


def load_interpreter(path: str | os.PathLike):
    """A LiteRT interpreter of the ``.tflite`` file, tensors allocated, on one thread."""
    from ai_edge_litert.interpreter import Interpreter

    path = Path(path)
    try:
        with _quiet_native_stderr():  # LiteRT prints "INFO: Created ... delegate" on creation
            interpreter = Interpreter(model_path=str(path), num_threads=1)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError, OSError) as error:
        raise CheckpointError(
            f"The model file {path.name} is missing or damaged ({error}); reinstall E4S Studio to restore it."
        ) from error
    return interpreter


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence what native code writes to file descriptor 2 (errors still come as exceptions)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
