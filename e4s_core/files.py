"""Atomic file writes: a temp file in the destination folder, then a rename.

A crash or a full disk leaves either the old file or the new one, never half
of one. Written files get the usual permissions (0666 minus the umask), which
``tempfile.mkstemp``'s private 0600 would otherwise leak into the result.
"""

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InputError

WRITE_ADVICE = "Check free disk space and that the folder is writable, or choose another folder."


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
    if path.is_dir():
        raise InputError(f"Cannot write {path}: it is a folder; give a file name inside it.")
    try:
        handle, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=path.suffix, dir=folder)
    except OSError as error:
        raise InputError(f"Cannot write {path.name}: {error.strerror or error}. {WRITE_ADVICE}") from error
    os.close(handle)
    try:
        write(temp)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except OSError as error:  # a full disk, a read-only folder, a name the file system refuses
        Path(temp).unlink(missing_ok=True)
        raise InputError(f"Could not write {path.name}: {error.strerror or error}. {WRITE_ADVICE}") from error
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


# The temporaries a command writes before renaming them into place: short names, so an output
# name up to the file system's limit still fits.
_TEMP_PREFIX = ".e4s-"
MAX_NAME_BYTES = 255  # of one path component, on the file systems people use


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_output_path(
    path: str | os.PathLike, suffixes: tuple[str, ...] = (), what: str = "the output"
) -> Path:
    """Fail early, before any work, if ``path`` cannot take ``what``; returns it as a Path.

    ``suffixes``: the types the writer supports (empty: any). Checks the type, that the path is
    not a folder, that its folder exists and is writable, and the name's length.
    """
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"Cannot write {path.name}: {what} must be one of {', '.join(suffixes)}.")
    if len(path.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:  # before asking the OS about it
        raise InputError(f"Cannot write {path.name[:40]}…: the name is longer than {MAX_NAME_BYTES} bytes.")
    if path.is_dir():
        raise InputError(f"Cannot write {path}: it is a folder; give a file name inside it.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path.name}: folder {folder} does not exist. Create it first.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write {path.name}: folder {folder} is not writable. Choose another folder.")
    return path


def check_output_folder(folder: str | os.PathLike, what: str = "the output folder") -> Path:
    """Fail early if ``folder`` cannot be created or written (an existing one, or its parent)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"Cannot use {folder} as {what}: it is a file. Give a folder.")
    existing = folder if folder.exists() else next((p for p in folder.parents if p.exists()), Path("."))
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"Cannot use {folder} as {what}: {existing} is not writable. Choose another folder.")
    return folder


class OutputFiles:
    """A command's outputs, all or none: checked before any work, written to temporaries, renamed
    into place together when every one was written; on any failure the existing files stay as
    they were and no temporary is left.

        with OutputFiles((crop, IMAGE_SUFFIXES, "the crop"), (sidecar, (".json",), "the alignment")) as out:
            write_photo(rgb, out.temp(crop))
            write_sidecar(..., out.temp(sidecar))
    """

    def __init__(self, *outputs: tuple[str | os.PathLike, tuple[str, ...], str]):
        self.finals = [check_output_path(path, suffixes, what) for path, suffixes, what in outputs]
        if len({p.resolve() for p in self.finals}) != len(self.finals):
            raise InputError("Two outputs of the command are the same file; give each its own name.")
        self._temps: dict[Path, Path] = {}

    def temp(self, final: str | os.PathLike) -> Path:
        """Where to write ``final`` for now (same folder and type, a short hidden name)."""
        final = Path(final)
        if final not in self.finals:
            raise ValueError(f"{final} is not one of this command's outputs")
        if final not in self._temps:
            self._temps[final] = _new_temp(final, final.suffix)
        return self._temps[final]

    def __enter__(self) -> "OutputFiles":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self._discard()
            if issubclass(kind, OSError):  # a writer hit a full disk or a vanished folder
                raise InputError(
                    f"Could not write the outputs: {error.strerror or error}. {WRITE_ADVICE}"
                ) from error
            return
        missing = [final.name for final in self.finals if final not in self._temps]
        if missing:
            self._discard()
            raise RuntimeError(f"outputs never written: {', '.join(missing)}")
        self._commit()

    def _commit(self) -> None:
        """Rename every temporary into place; if one rename fails, put back what the others replaced."""
        kept: dict[Path, Path] = {}  # final -> a second name for its previous content
        placed: list[Path] = []
        try:
            for final in self.finals:
                if final.exists():
                    kept[final] = _second_name(final)
            for final in self.finals:
                os.chmod(self._temps[final], 0o666 & ~_umask())
                os.replace(self._temps[final], final)
                del self._temps[final]
                placed.append(final)
        except BaseException as failure:  # also an interrupt between two renames
            failed = final
            for done in placed:
                if done in kept:
                    os.replace(kept.pop(done), done)
                else:
                    done.unlink(missing_ok=True)
            self._discard()
            if isinstance(failure, OSError):
                raise InputError(
                    f"Could not write {failed.name}: {failure.strerror or failure}. {WRITE_ADVICE}"
                ) from failure
            raise
        finally:
            for second in kept.values():
                second.unlink(missing_ok=True)

    def _discard(self) -> None:
        for temp in self._temps.values():
            temp.unlink(missing_ok=True)
        self._temps.clear()


def _new_temp(final: Path, suffix: str) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=suffix, dir=final.parent or ".")
    except OSError as error:
        raise InputError(f"Cannot write {final.name}: {error.strerror or error}. {WRITE_ADVICE}") from error
    os.close(handle)
    return Path(name)


def _second_name(final: Path) -> Path:
    """A hard link to ``final``'s current content (a copy where links are not supported), so a
    failed commit can restore it."""
    second = _new_temp(final, ".old")
    second.unlink()
    try:
        os.link(final, second)
    except OSError:
        shutil.copy2(final, second)
    return second
