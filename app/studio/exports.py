"""File › Export face / photo / label map / colour mask: one action per kind, each remembering its
folder and format, each suggesting ``<photo stem>_edited…`` as the name.

The one table of what can be exported is ``EXPORT_KINDS``; the menu, the dialogs and the tests
read it. Faces export at the crop's resolution (the aligned photo's, 1024 by default) whatever the
model's; label maps at the label map's (512), in lossless formats only.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from e4s_core.errors import E4SError
from e4s_core.imageio import LABEL_SUFFIXES, write_labels
from e4s_core.photo.io import WRITE_FORMATS, write_photo
from e4s_core.regions import to_color_mask

from .models.result import pasted_photo
from .settings import export_format_key, folder_key

_IMAGE_SUFFIXES = (".png", ".jpg", ".webp", ".tif", ".bmp")  # the dialog's choices, in this order
assert set(_IMAGE_SUFFIXES) <= set(WRITE_FORMATS)


@dataclass(frozen=True)
class ExportKind:
    name: str  # "face", "photo", "labels", "color"
    menu_text: str
    description: str  # the dialog's title and its file-type filter
    suffixes: tuple[str, ...]  # the formats offered, the default first
    name_ending: str  # the suggested file is <photo stem>_edited<name_ending><suffix>
    shortcut: str = ""


EXPORT_KINDS = (
    ExportKind(
        "photo", "Export &photo…", "The whole photo with the edit", _IMAGE_SUFFIXES, "", "Ctrl+Shift+E"
    ),
    ExportKind(
        "face", "Export &face…", "The aligned face, as the result pane shows it", _IMAGE_SUFFIXES, "_face"
    ),
    ExportKind("labels", "Export &label map…", "Label map (region ids 0-11)", LABEL_SUFFIXES, "_labels"),
    ExportKind("color", "Export &colour mask…", "Colour mask (region colours)", LABEL_SUFFIXES, "_mask"),
)
KIND_NAMES = tuple(kind.name for kind in EXPORT_KINDS)


def export_kind(name: str) -> ExportKind:
    for kind in EXPORT_KINDS:
        if kind.name == name:
            return kind
    raise ValueError(f"unknown export kind {name!r}; kinds are {', '.join(KIND_NAMES)}")


def export(window, path: str | Path, kind_name: str) -> bool:
    """Write what ``kind_name`` names to ``path``; False (with a message shown) when it cannot."""
    export_kind(kind_name)
    document, result, view = window.document, window.result, window.result_view_mode
    if document is None or (kind_name in ("face", "photo") and result is None):
        window.show_error("Nothing to export yet: open a photo and wait for the result.")
        return False
    labels = document.canvas.labels.copy()
    try:
        if kind_name == "labels":
            write_labels(labels, path)
        elif kind_name == "color":
            write_labels(to_color_mask(labels), path)
        elif kind_name == "photo":
            pasted = pasted_photo(document.source, result, view)
            if pasted is None:
                raise E4SError("This face has no original photo to paste into; export the face instead.")
            photo = document.source.photo
            write_photo(pasted, path, alpha=photo.alpha, icc_profile=photo.icc_profile, exif=photo.exif)
        else:
            write_photo(np.ascontiguousarray(result.face(view)), path)
    except (E4SError, OSError) as error:
        window.show_error(str(error))
        return False
    window.statusBar().showMessage(f"Exported {Path(path).name}", 5000)
    return True


def suggested_path(window, kind: ExportKind) -> Path:
    """The last folder used for exports (else the photo's), ``<stem>_edited…``, the last format."""
    settings, source = window.settings, window.document.source
    suffix = str(settings.value(export_format_key(kind.name), kind.suffixes[0]))
    suffix = suffix if suffix in kind.suffixes else kind.suffixes[0]
    folder = str(settings.value(folder_key("exports"), "")) or str(settings.value(folder_key("photos"), ""))
    return Path(folder) / f"{Path(source.name).stem}_edited{kind.name_ending}{suffix}"


def _filters(kind: ExportKind) -> list[str]:
    return [f"{kind.description} ({suffix.upper()[1:]}) (*{suffix})" for suffix in kind.suffixes]


def export_dialog(window, kind_name: str) -> bool:
    """Ask where (the suggested name filled in), then export; remembers the folder and format."""
    if window.document is None:
        window.show_error("Nothing to export yet: open a photo first.")
        return False
    kind = export_kind(kind_name)
    suggested = suggested_path(window, kind)
    filters = _filters(kind)
    chosen_filter = filters[kind.suffixes.index(suggested.suffix)]
    path, chosen_filter = QFileDialog.getSaveFileName(
        window, kind.description, str(suggested), ";;".join(filters), chosen_filter
    )
    if not path:
        return False
    path = Path(path)
    if not path.suffix:  # typed without a type: the format picked in the dialog (others: the writer judges)
        picked = filters.index(chosen_filter) if chosen_filter in filters else 0
        path = path.with_name(path.name + kind.suffixes[picked])
    window.settings.setValue(folder_key("exports"), str(path.parent))
    window.settings.setValue(export_format_key(kind.name), path.suffix.lower())
    return export(window, path, kind.name)
