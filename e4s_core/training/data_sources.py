"""What ``--data`` names, opened as training or evaluation data.

synthetic                  the built-in corpus (default)
celebamask-hq:ROOT         CelebAMask-HQ as distributed; trains on 0-27,999, validates on 28,000-29,999
folder:DIR                 aligned faces with label maps beside them, or labelled once by --parser
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .. import paths
from ..errors import InputError
from ..imageio import LABEL_FORMAT_TITLES, LABEL_FORMATS
from .data import SyntheticFaces
from .dataset_layouts import (
    CELEBAMASK_SPLITS,
    FaceEntry,
    SkipReport,
    celebamask_hq_entries,
    detect_label_format,
    folder_entries,
)
from .datasets import DatasetFaces, FaceDataset
from .label_cache import label_entries

log = logging.getLogger(__name__)

DATA_KINDS = ("synthetic", "celebamask-hq", "folder")
LABEL_FORMAT_CHOICES = ("auto", *LABEL_FORMATS)
FORMAT_SAMPLES = 16  # label files looked at to tell their format
MIN_FACES_TO_HOLD_OUT = 4  # a folder holds validation faces out only if it has this many times more


@dataclass(frozen=True)
class DataChoice:
    kind: str = "synthetic"
    path: Path | None = None
    labels: Path | None = None  # a label folder other than the layout's own
    label_format: str = "auto"
    parser: str | None = None  # labels an unlabelled folder: "landmarks" or a BiSeNet file
    label_cache: Path | None = None
    validation: str | None = None  # for folder: a folder of validation faces, or celebamask-hq:ROOT

    @classmethod
    def parse(cls, text: str, **options) -> "DataChoice":
        kind, _, path = text.partition(":")
        if kind not in DATA_KINDS or (kind == "synthetic") != (path == ""):
            raise InputError(f"--data {text!r}: expected synthetic, celebamask-hq:ROOT or folder:DIR")
        if options.get("label_format", "auto") not in LABEL_FORMAT_CHOICES:
            raise InputError(f"--labels-format must be one of {', '.join(LABEL_FORMAT_CHOICES)}")
        choice = cls(
            kind, Path(path) if path else None, **{k: v for k, v in options.items() if v is not None}
        )
        if kind == "synthetic" and any(
            (choice.labels, choice.parser, choice.validation, choice.label_format != "auto")
        ):
            raise InputError(
                "--labels, --labels-format, --parser and --validation describe a real dataset;"
                " give one with --data celebamask-hq:ROOT or --data folder:DIR"
            )
        if kind == "celebamask-hq" and choice.label_format not in ("auto", "celebamask-hq"):
            raise InputError("CelebAMask-HQ's labels are in its own order; drop --labels-format")
        if kind == "celebamask-hq" and (choice.parser or choice.validation):
            raise InputError(
                "CelebAMask-HQ brings its labels and its validation split; drop --parser / --validation"
            )
        return choice


def open_training_data(
    choice: DataChoice,
    size: int,
    validation_faces: int,
    say: Callable[[str], None] = print,
    progress: Callable[[int, int], None] | None = None,
):
    """``SyntheticFaces`` or ``DatasetFaces`` for a run at ``size`` px; reports what was found."""
    if choice.kind == "synthetic":
        return SyntheticFaces(size)
    val_format = None  # the validation faces' label form when it differs from the training faces'
    if choice.kind == "celebamask-hq":
        train, train_skips, fmt = celebamask_hq_entries(choice.path, "train", choice.labels)
        val, val_skips, _ = celebamask_hq_entries(choice.path, "val", choice.labels, required=False)
        note = ""
        if not val:
            val = train[:validation_faces]
            split = CELEBAMASK_SPLITS["val"]
            note = (
                "validation on training faces: none of the validation split"
                f" ({split.start}-{split.stop - 1}) is here"
            )
    else:
        train, train_skips, fmt = _folder(choice, choice.path, say, progress)
        if choice.validation is not None:
            val, val_skips, val_format = _validation(choice, say, progress)
            note = ""
        elif len(train) >= MIN_FACES_TO_HOLD_OUT * validation_faces:
            train, val, val_skips = train[:-validation_faces], train[-validation_faces:], SkipReport()
            note = f"validation: the last {len(val)} faces by name, held out of training"
        else:
            val, val_skips = train, SkipReport()
            note = (
                f"validation on training faces: {len(train)} faces are too few to hold"
                f" {validation_faces} out (give --validation DIR)"
            )
    train_skips.merge(val_skips)
    say(
        f"{choice.kind} {choice.path}: {len(train)} training faces, {len(val)} validation faces,"
        f" labels read as {LABEL_FORMAT_TITLES[fmt]}; {train_skips.summary()}"
    )
    if note:
        say(note)
    description = {
        "kind": choice.kind,
        "path": str(Path(choice.path).resolve()),
        "faces": len(train),
        "label_format": fmt,
        "labels": str(Path(choice.labels).resolve()) if choice.labels else None,
    }
    train_set = FaceDataset(train, fmt, size, train_skips, stand_in=True)
    return DatasetFaces(train_set, FaceDataset(val, val_format or fmt, size), description)


def open_evaluation_data(
    choice: DataChoice, size: int, say: Callable[[str], None] = print, progress=None
) -> FaceDataset:
    """The faces a model is measured on: CelebAMask-HQ's validation split, or a whole folder."""
    if choice.kind == "celebamask-hq":
        entries, skipped, fmt = celebamask_hq_entries(choice.path, "val", choice.labels)
    elif choice.kind == "folder":
        entries, skipped, fmt = _folder(choice, choice.path, say, progress)
    else:
        raise InputError("--dataset takes celebamask-hq:ROOT or folder:DIR")
    say(f"{choice.kind} {choice.path}: {len(entries)} faces; {skipped.summary()}")
    return FaceDataset(entries, fmt, size, skipped)


def _folder(choice: DataChoice, root: Path, say, progress) -> tuple[list[FaceEntry], SkipReport, str]:
    entries, skipped, labelled = folder_entries(root, choice.labels if root == choice.path else None)
    if labelled:
        if choice.parser:
            say(f"{root} has label maps: --parser is not used")
        fmt = choice.label_format if choice.label_format != "auto" else _detect(entries)
        return entries, skipped, fmt
    if not choice.parser:
        raise InputError(
            f"{root}: no label maps beside the images (looked for labels/NAME.png, masks/NAME.png,"
            " NAME_labels.png, NAME_mask.png); give them with --labels DIR, or label the faces once"
            " with --parser landmarks or --parser 79999_iter.pth (the authors' BiSeNet)"
        )
    cache = choice.label_cache or paths.cache_dir() / "labels"
    entries, parse_skips, parsed = label_entries(entries, choice.parser, cache, progress)
    skipped.merge(parse_skips)
    say(f"labels by {choice.parser}: {parsed} parsed now, {len(entries) - parsed} from the cache {cache}")
    if not entries:
        raise InputError(f"{root}: the parser could label none of the faces; {skipped.summary()}")
    return entries, skipped, "e4s"


def _validation(choice: DataChoice, say, progress) -> tuple[list[FaceEntry], SkipReport, str]:
    kind, _, root = str(choice.validation).partition(":")
    if kind == "celebamask-hq" and root:
        return celebamask_hq_entries(root, "val")
    return _folder(choice, Path(choice.validation), say, progress)


def _detect(entries: list[FaceEntry]) -> str:
    samples = []
    for entry in entries[:FORMAT_SAMPLES]:
        try:
            with Image.open(entry.labels) as image:
                samples.append(
                    np.asarray(image.convert("RGB") if image.mode not in ("L", "P", "I;16") else image)
                )
        except (OSError, ValueError):
            continue  # counted when the face is loaded
    if not samples:
        raise InputError(f"none of the first label maps can be read (e.g. {entries[0].labels})")
    return detect_label_format(samples)
