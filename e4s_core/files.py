"""Atomic file writes: a temp file in the destination folder, then a rename.

A crash or a full disk leaves either the old file or the new one, never half
of one. Written files get the usual permissions (0666 minus the umask), which
``tempfile.mkstemp``'s private 0600 would otherwise leak into the result.
"""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(temp_path)``, then move the result to ``path``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path.name}: folder {folder} does not exist.")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=folder)
    os.close(handle)
    try:
        write(temp)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
