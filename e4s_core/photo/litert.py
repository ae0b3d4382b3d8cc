"""The shipped MediaPipe models run by LiteRT (``ai-edge-litert``): availability and loading.

LiteRT has wheels for Linux x86-64, Windows and macOS on Apple silicon; elsewhere the parser
works without the models (GrabCut for the person, dlib's points for the eyes and mouth).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import CheckpointError


def litert_available() -> bool:
    """Is LiteRT installed?"""
    return importlib.util.find_spec("ai_edge_litert") is not None


class LiteModel:
    """A ``.tflite`` file with one input and (at least) one output, run on one thread at a time:
    ``model(batch)`` -> a copy of the first output. Whichever thread parses may call it."""

    def __init__(self, path: str | os.PathLike):
        from ai_edge_litert.interpreter import Interpreter

        path = Path(path)
        try:
            with _quiet_native_stderr():  # LiteRT prints "INFO: Created ... delegate" on creation
                self._interpreter = Interpreter(model_path=str(path), num_threads=1)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError, OSError) as error:
            raise CheckpointError(
                f"The model file {path.name} is missing or damaged ({error});"
                " reinstall E4S Studio to restore it."
            ) from error
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()


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
