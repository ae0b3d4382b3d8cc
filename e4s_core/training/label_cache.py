"""Labelling a folder of unlabelled aligned faces once, with a chosen parser, into a cache.

A face's label map is cached under ``<cache>/<parser tag>/<sha256 of the image file>.png``: the
same picture parsed by the same parser (a weight file is named by its own hash, the built-in
parser by a hash of its code and models) is never parsed twice, renaming or moving the folder
keeps the cache, and a changed image gets new labels. An index of (path, size, modification
time) -> hash spares reading every image again on each start.
Faces the parser cannot label (no face found) are skipped and counted.
"""

import json
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..files import atomic_write, file_sha256
from ..imageio import write_labels
from ..photo.align import aligned_as_is
from ..photo.io import read_photo
from ..photo.parse import BUILT_IN_PARSER, built_in_parser_fingerprint, load_parser, parse_face
from .dataset_layouts import FaceEntry, SkipReport

log = logging.getLogger(__name__)


def parser_tag(choice: str | os.PathLike) -> str:
    """Cache folder name of a parser: the built-in one by name and version, a weight file by its
    content."""
    if str(choice) == BUILT_IN_PARSER:
        return f"{BUILT_IN_PARSER}-{built_in_parser_fingerprint()}"
    path = Path(choice)
    if not path.is_file():
        raise InputError(f"--parser {choice}: not '{BUILT_IN_PARSER}' nor a parser weight file")
    return f"bisenet-{file_sha256(path)[:16]}"


def label_entries(
    entries: list[FaceEntry],
    parser_choice: str | os.PathLike,
    cache: str | os.PathLike,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[FaceEntry], SkipReport, int]:
    """(entries with 12-class label files, skipped, how many were parsed now)."""
    folder = Path(cache) / parser_tag(parser_choice)
    hashes = _HashIndex(folder / "index.json")
    parser = None  # loaded only if something needs parsing
    labelled, skipped, parsed = [], SkipReport(), 0
    for done, entry in enumerate(entries, 1):
        try:
            target = folder / f"{hashes.of(entry.image)}.png"
            if not target.is_file():
                parser = parser or load_parser(parser_choice)
                rgb = read_photo(entry.image).rgb
                labels = parse_face(aligned_as_is(rgb, rgb.shape[0], entry.name), parser)
                folder.mkdir(parents=True, exist_ok=True)
                write_labels(labels, target)
                parsed += 1
            labelled.append(replace(entry, labels=target))
        except InputError as error:
            log.warning("cannot label %s: %s", entry.name, error)
            skipped.add("faces the parser could not label", entry.name)
        except OSError as error:
            raise InputError(
                f"cannot read {entry.name} or write the label cache {folder}: {error}"
            ) from error
        if progress is not None:
            progress(done, len(entries))
    hashes.save()
    return labelled, skipped, parsed


class _HashIndex:
    """Content hashes of image files, remembered by (path, size, modification time)."""

    def __init__(self, path: Path):
        self.path, self.changed = path, False
        try:
            self.known = json.loads(path.read_text())
        except (OSError, ValueError):
            self.known = {}
        if not isinstance(self.known, dict):
            self.known = {}

    def of(self, image: Path) -> str:
        stat = image.stat()
        key = str(image.resolve())
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = self.known.get(key)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp and isinstance(entry[2], str):
            return entry[2]
        digest = file_sha256(image)
        self.known[key], self.changed = [*stamp, digest], True
        return digest

    def save(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda temp: Path(temp).write_text(json.dumps(self.known)))
