"""Reading containers people exchange (project zips, ``.npy`` members) without trusting them.

Nothing is decompressed before its size is known to be legitimate: a member's declared size is
checked against what its ``.npy`` header says it holds, and that against what the caller
expects (dtype, shape, a byte budget), before the array's bytes are read. Python's zip reader
never returns more than the declared size, so a zip bomb is refused before it inflates.
"""

from __future__ import annotations

import zipfile
from math import prod

import numpy as np

MAX_MEMBERS = 20_000  # a project with 4,000 history steps has about this many
MAX_TEXT_BYTES = 16 * 2**20  # manifest.json: a few KB per step at most


def check_archive(archive: zipfile.ZipFile, max_members: int = MAX_MEMBERS) -> None:
    infos = archive.infolist()
    if len(infos) > max_members:
        raise ValueError(f"it has {len(infos)} members, more than a project can hold ({max_members})")


def read_text(archive: zipfile.ZipFile, name: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    info = archive.getinfo(name)  # KeyError names a missing member
    if info.file_size > max_bytes:
        raise ValueError(f"{name} is {info.file_size:,} bytes; at most {max_bytes:,} are expected")
    return archive.read(info).decode("utf-8")


def read_npy(
    archive: zipfile.ZipFile,
    name: str,
    dtype=None,
    shape: tuple[int | None, ...] | None = None,
    max_bytes: int = 64 * 2**20,
    square: bool = False,
) -> np.ndarray:
    """The array in member ``name``, its header checked before its data is read.

    ``dtype``, ``shape`` (None entries: any size) and ``square`` say what is expected;
    ``max_bytes`` bounds what may be read. A ValueError names what does not fit.
    """
    info = archive.getinfo(name)
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            found_shape, fortran, found_dtype = read_header(stream, max_header_size=10_000)
        except (ValueError, EOFError, SyntaxError) as error:
            raise ValueError(f"{name} is not a readable array ({error})") from error
        if found_dtype.hasobject:
            raise ValueError(f"{name} holds Python objects, not numbers")
        size = prod(found_shape) * found_dtype.itemsize
        header_bytes = stream.tell()
        if size > max_bytes or info.file_size != header_bytes + size:
            raise ValueError(
                f"{name} declares {found_dtype} {found_shape} ({size:,} bytes) in a member of"
                f" {info.file_size:,} bytes; at most {max_bytes:,} are expected"
            )
        if (dtype is not None and found_dtype != np.dtype(dtype)) or not _fits(found_shape, shape, square):
            wanted = "x".join("N" if w is None else str(w) for w in shape or ()) + (
                " square" if square else ""
            )
            raise ValueError(f"{name} holds {found_dtype} {found_shape}, not {np.dtype(dtype).name} {wanted}")
        data = stream.read(size)
    if len(data) != size:
        raise ValueError(f"{name} is truncated")
    array = np.frombuffer(data, dtype=found_dtype)
    if fortran:
        return array.reshape(found_shape[::-1]).T.copy()
    return array.reshape(found_shape).copy()


def _fits(found: tuple[int, ...], wanted: tuple[int | None, ...] | None, square: bool) -> bool:
    if square and (len(found) < 2 or found[0] != found[1]):
        return False
    if wanted is None:
        return True
    return len(found) == len(wanted) and all(w is None or w == f for f, w in zip(found, wanted, strict=True))


def printable(text: object) -> str:
    """``text`` with control characters (and undecodable bytes) shown as escapes, so a file name
    or a model's metadata cannot move the cursor, clear the terminal or break a one-line message."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in str(text))
