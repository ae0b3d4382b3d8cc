"""The model manager: the model and parser files a user has installed, checked and chosen.

Files live in the user data folder (``paths.data_dir() / "models"``) beside ``registry.json``,
which records each one's kind, size and sha256 at install and which one of each kind is in use.
Installing reads the file with ``weights_only`` (no pickled code runs), loads it strictly as
what it claims to be, and copies it atomically; a file whose bytes changed since is reported
when it is about to be used, never used silently. Nothing is ever downloaded: ``KNOWN_FILES``
says what each file is and where people get it. The CLI (``e4s-studio models``) and the
studio's model manager dialog are two views of ``ModelRegistry``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import paths
from .errors import CheckpointError, E4SError, InputError
from .files import OutputFiles, atomic_write, file_sha256

KINDS = {"model": "RGI model", "parser": "face parser"}
DEFAULT_MODEL, BUILT_IN_PARSER = "e4s-studio-default", "landmarks"
REGISTRY_VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class KnownFile:
    """A file people have: what it is and where they get it (we never fetch it)."""

    name: str  # the name it is installed under by default
    kind: str
    file_name: str
    what: str
    where: str


KNOWN_FILES: tuple[KnownFile, ...] = (
    KnownFile(
        DEFAULT_MODEL, "model", "e4s-studio-default.pt",
        "E4S Studio's own small RGI model (256 px), trained on synthetic faces; ships with the app.",
        "Bundled (resources/models); nothing to install.",
    ),
    KnownFile(
        "e4s-authors", "model", "iteration_300000.pt",
        "The authors' RGI network (1024 px, CelebAMask-HQ): E4S's own results.",
        "The E4S repository's README links it (Google Drive / Baidu): https://github.com/e4s2022/e4s",
    ),
    KnownFile(
        BUILT_IN_PARSER, "parser", "",
        "The built-in landmark parser (dlib landmarks, colour models, MediaPipe person segmentation).",
        "Built in; nothing to install.",
    ),
    KnownFile(
        "bisenet", "parser", "79999_iter.pth",
        "BiSeNet, the face parser E4S uses by default (19 CelebAMask-HQ classes).",
        "face-parsing.PyTorch's README links it: https://github.com/zllrunning/face-parsing.PyTorch",
    ),
)  # fmt: skip
BUILT_IN = {DEFAULT_MODEL: "model", BUILT_IN_PARSER: "parser"}


@dataclass(frozen=True)
class InstalledFile:
    name: str
    kind: str
    file: str  # file name inside the models folder
    original: str  # the name it had when installed
    size: int
    sha256: str
    mtime_ns: int
    installed: str  # when, ISO 8601


class ModelRegistry:
    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else paths.data_dir() / "models"
        self.path = self.folder / "registry.json"

    # -- reading -------------------------------------------------------------------------------
    def installed(self) -> dict[str, InstalledFile]:
        return {name: InstalledFile(**entry) for name, entry in self._read()["installed"].items()}

    def active(self, kind: str) -> str:
        """The name in use for ``kind`` (the built-in one unless ``use`` chose another)."""
        self._check_kind(kind)
        default = DEFAULT_MODEL if kind == "model" else BUILT_IN_PARSER
        return self._read()["active"].get(kind) or default

    def active_file(self, kind: str) -> Path | None:
        """The file in use for ``kind``, checked unchanged; None for the built-in one."""
        name = self.active(kind)
        return None if name in BUILT_IN else self.file_of(name)

    def file_of(self, name: str) -> Path:
        """An installed file's path, after making sure its bytes are the ones installed."""
        entry = self._entry(name)
        path = self.folder / entry.file
        problem = self._problem(entry, path)
        if problem:
            raise CheckpointError(
                f"The installed {KINDS[entry.kind]} '{name}' {problem} since it was installed;"
                " E4S Studio will not use it. Install it again"
                f" (e4s-studio models install FILE --name {name})"
                f" or remove it (e4s-studio models remove {name})."
            )
        return path

    def verify(self, name: str | None = None) -> dict[str, str]:
        """name -> "ok", or what is wrong, for one installed file or all (hashing every byte)."""
        entries = self.installed() if name is None else {name: self._entry(name)}
        return {n: self._problem(e, self.folder / e.file, full=True) or "ok" for n, e in entries.items()}

    # -- changing ------------------------------------------------------------------------------
    def install(self, source: str | os.PathLike, name: str | None = None) -> InstalledFile:
        """Check ``source`` strictly, copy it into the models folder and record it."""
        source = Path(source)
        name = name or _default_name(source)
        if not _NAME.fullmatch(name):
            raise InputError(
                f"'{name}' cannot name a model: use letters, digits, '.', '_' or '-' (up to 64)."
            )
        if name in BUILT_IN:
            raise InputError(f"'{name}' is built in; choose another name with --name.")
        kind = identify(source)
        target = self.folder / f"{name}{source.suffix or '.pt'}"
        digest = hashlib.sha256()

        def copy(temp: str) -> None:
            with open(source, "rb") as reader, open(temp, "wb") as writer:
                while chunk := reader.read(1 << 20):
                    digest.update(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())

        registry = self._read()
        old = registry["installed"].get(name)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise E4SError(f"Cannot install into {self.folder}: {error.strerror or error}.") from error
        # The file and its record land together: a failure leaves the models folder as it was.
        with OutputFiles((target, (), "the model file"), (self.path, (".json",), "the model list")) as out:
            atomic_write(out.temp(target), copy)
            stat = out.temp(target).stat()  # a rename keeps size and time
            entry = InstalledFile(
                name, kind, target.name, source.name, stat.st_size, digest.hexdigest(), stat.st_mtime_ns,
                time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            )  # fmt: skip
            registry["installed"][name] = asdict(entry)
            atomic_write(
                out.temp(self.path), lambda temp: Path(temp).write_text(json.dumps(registry, indent=1))
            )
        if old and old["file"] != target.name:
            (self.folder / old["file"]).unlink(missing_ok=True)
        return entry

    def remove(self, name: str) -> None:
        entry = self._entry(name)
        registry = self._read()
        del registry["installed"][name]
        if registry["active"].get(entry.kind) == name:
            registry["active"][entry.kind] = None
        self._write(registry)
        (self.folder / entry.file).unlink(missing_ok=True)

    def use(self, name: str) -> str:
        """Make ``name`` the one in use for its kind; returns the kind."""
        kind = BUILT_IN.get(name) or self._entry(name).kind
        if name not in BUILT_IN:
            self.file_of(name)  # refuse a changed file now, not at the next load
        registry = self._read()
        registry["active"][kind] = None if name in BUILT_IN else name
        self._write(registry)
        return kind

    # -- the registry file ---------------------------------------------------------------------
    def _read(self) -> dict:
        if not self.path.exists():
            return {"version": REGISTRY_VERSION, "installed": {}, "active": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != REGISTRY_VERSION or not isinstance(data.get("installed"), dict):
                raise ValueError(f"version {data.get('version')!r}")
            for entry in data["installed"].values():
                InstalledFile(**entry)
            data.setdefault("active", {})
            return data
        except (OSError, ValueError, TypeError, AttributeError) as error:
            raise E4SError(
                f"The model registry {self.path} is damaged ({error})."
                " Move it away and install the files again."
            ) from error

    def _write(self, data: dict) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda temp: Path(temp).write_text(json.dumps(data, indent=1)))
        except OSError as error:
            raise E4SError(
                f"Cannot write the model registry in {self.folder}: {error.strerror or error}."
            ) from error

    def _entry(self, name: str) -> InstalledFile:
        installed = self.installed()
        if name not in installed:
            known = ", ".join([*BUILT_IN, *installed]) or "none"
            raise InputError(f"No installed model or parser is called '{name}' (there are: {known}).")
        return installed[name]

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")

    @staticmethod
    def _problem(entry: InstalledFile, path: Path, full: bool = False) -> str:
        """ "" when the file is as installed, else what happened to it. Size and time first; the
        hash only when they changed (or ``full``), so a routine load does not read 700 MB."""
        if not path.is_file():
            return "is missing"
        stat = path.stat()
        if stat.st_size != entry.size:
            return "has changed size"
        if not full and stat.st_mtime_ns == entry.mtime_ns:
            return ""
        return "" if file_sha256(path) == entry.sha256 else "has changed"


def identify(path: str | os.PathLike) -> str:
    """The kind of a weight file ("model" or "parser"), loading it strictly as that kind."""
    from .checkpoint import load_model, read_weights_file
    from .photo.bisenet import load_bisenet

    payload = read_weights_file(path)
    if isinstance(payload, dict) and ("state_dict" in payload or payload.get("format") == "e4s-studio"):
        load_model(path, device="cpu")  # every key and shape, or a CheckpointError naming them
        return "model"
    load_bisenet(path, device="cpu")
    return "parser"


def _default_name(path: Path) -> str:
    known = next((k.name for k in KNOWN_FILES if k.file_name and k.file_name == path.name), None)
    return known or re.sub(r"[^A-Za-z0-9._-]", "-", path.stem)[:64].strip("-.") or "model"


def describe_size(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
