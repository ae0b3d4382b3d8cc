"""Every QSettings key the studio reads or writes, and where its settings live."""

from PySide6.QtCore import QSettings

ORGANIZATION = APPLICATION = "E4S Studio"

MODEL_PATH = "model/path"  # the model file chosen last
PARSER = "parser/choice"  # "landmarks" (built in) or the path of a BiSeNet file
AUTOSAVE_PATH = "autosave/path"  # where autosaves go (default: the user data folder); tests move it
WINDOW_GEOMETRY = "window/geometry"
RESULT_VIEW = "result/view"  # "photo" (the photo with the edit) or "render" (the model's own)
BUNDLED_MODEL_NOTE_DISMISSED = "notes/bundled_model_dismissed"  # the first-run note was dismissed
FOLDER_KINDS = ("photos", "masks", "projects", "exports", "models", "references")  # last folder of each


def folder_key(kind: str) -> str:
    """The key remembering the last folder used for ``kind`` of file."""
    if kind not in FOLDER_KINDS:
        raise ValueError(f"unknown folder kind {kind!r}; kinds are {', '.join(FOLDER_KINDS)}")
    return f"folders/{kind}"


def export_format_key(kind: str) -> str:
    """The key remembering the file type last used for an export kind ("face", "photo", ...)."""
    return f"exports/{kind}/format"


def user_settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)
