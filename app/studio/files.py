"""File actions of the main window: open photo / mask / project, save, choose model (exports: exports.py).

Each takes the window as its first argument (the menus call them so). Every failure is shown as a
message (never a traceback) and leaves the window as it was; every write is atomic.
"""

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from e4s_core import load_model
from e4s_core.errors import E4SError
from e4s_core.imageio import LABEL_FORMAT_TITLES, LABEL_FORMATS, read_labels
from e4s_core.model_files import ModelRegistry
from e4s_core.photo.parse import BUILT_IN_PARSER, describe_parser, load_parser

from .models.project import load_project, save_project
from .settings import MODEL_PATH, PARSER, folder_key
from .widgets.model_manager import ModelManagerDialog

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"
PROJECT_FILTER = "E4S Studio project (*.e4s)"


def _folder(window, key: str) -> str:
    return str(window.settings.value(folder_key(key), ""))


def _remember(window, key: str, path: str) -> None:
    window.settings.setValue(folder_key(key), str(Path(path).parent))


def open_photo_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open photo", _folder(window, "photos"), IMAGE_FILTER)
    if path:
        _remember(window, "photos", path)
        window.open_photo(path)


def open_mask(window, path: str, label_format: str = "e4s") -> bool:
    if window.document is None:
        window.show_error("Open a photo first; a mask edits its face.")
        return False
    try:
        labels = read_labels(path, label_format)
    except E4SError as error:
        window.show_error(str(error))
        return False
    window.document.canvas.replace(labels, f"Open mask {Path(path).name}")
    window.renders.full_soon()
    return True


def open_mask_dialog(window) -> None:
    filters = {
        f"{title} label map (*.png *.bmp *.tif *.tiff)": label_format
        for label_format, title in LABEL_FORMAT_TITLES.items()
    }
    path, chosen = QFileDialog.getOpenFileName(
        window, "Open mask", _folder(window, "masks"), ";;".join(filters)
    )
    if path:
        _remember(window, "masks", path)
        open_mask(window, path, filters.get(chosen, LABEL_FORMATS[0]))


def open_project(window, path: str) -> bool:
    try:
        document = load_project(path)
    except E4SError as error:
        window.show_error(str(error))
        return False
    if window.model is not None and document.base_vectors.shape[1] != window.model.config.vector_dim:
        window.show_error(f"{Path(path).name} was made with a different model; choose that model first.")
        return False
    if not window.work.confirm_replace("opening a project"):
        return False
    window.set_document(document)
    window.work.mark_saved(path)
    return True


def open_project_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open project", _folder(window, "projects"), PROJECT_FILTER)
    if path:
        _remember(window, "projects", path)
        open_project(window, path)


def save_project_to(window, path: str) -> bool:
    if window.document is None:
        return False
    try:
        save_project(window.document, path)
    except (E4SError, OSError) as error:
        window.show_error(f"Could not save {Path(path).name}: {error}")
        return False
    window.work.mark_saved(path)
    window.statusBar().showMessage(f"Saved {Path(path).name}", 5000)
    return True


def save_project_dialog(window, choose: bool = False) -> bool:
    """Save to the project's file (asks for one the first time, or always with ``choose``)."""
    if window.document is None:
        return False
    path = None if choose else window.work.project_path
    if not path:
        suggested = str(Path(_folder(window, "projects")) / f"{Path(window.document.source.name).stem}.e4s")
        path, _ = QFileDialog.getSaveFileName(window, "Save project", suggested, PROJECT_FILTER)
        if not path:
            return False
        path = path if path.endswith(".e4s") else path + ".e4s"
        _remember(window, "projects", path)
    return save_project_to(window, path)


def choose_model(window, path: str | None) -> bool:
    """Use the model in ``path`` (None: the bundled one) from now on, and remember it."""
    try:
        model = load_model(path)
    except E4SError as error:
        window.show_error(str(error))
        return False
    window.model = model
    window.settings.setValue(MODEL_PATH, path or "")
    window._update_model_label()
    if window.document is not None:
        window.statusBar().showMessage(
            "Model changed: reopen the photo to encode it with the new model.", 8000
        )
    return True


def choose_parser(window, choice: str) -> bool:
    """Parse faces opened from now on with ``choice``: "landmarks" or a BiSeNet file."""
    try:
        parser = load_parser(choice)
    except E4SError as error:
        window.show_error(str(error))
        return False
    window.parser = parser
    window.settings.setValue(PARSER, choice)
    window._update_model_label()
    note = " Reopen the photo to parse it again." if window.document is not None else ""
    window.statusBar().showMessage(f"Parser: {describe_parser(parser)}.{note}", 8000)
    return True


def choose_parser_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(
        window,
        "Choose a face parser file (BiSeNet, e.g. 79999_iter.pth)",
        _folder(window, "models"),
        "Face parser weights (*.pth *.pt);;All files (*)",
    )
    if path:
        _remember(window, "models", path)
        choose_parser(window, path)


def model_manager_dialog(window) -> None:
    """The installed model and parser files (the same registry as ``e4s-studio models``)."""
    dialog = ModelManagerDialog(ModelRegistry(), window)

    def apply(kind: str, path) -> None:
        if kind == "model":
            choose_model(window, None if path is None else str(path))
        else:
            choose_parser(window, BUILT_IN_PARSER if path is None else str(path))

    dialog.chosen.connect(apply)
    dialog.exec()


def choose_model_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(
        window,
        "Choose model checkpoint",
        _folder(window, "models"),
        "Checkpoints (*.pt *.pth);;All files (*)",
    )
    if path:
        _remember(window, "models", path)
        choose_model(window, path)
