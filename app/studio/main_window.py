"""The studio window: views wired to the document, the render worker and the task queue.

All model work runs off the GUI thread: opening and encoding on the task queue (every
task runs), rendering on the render worker (newest request wins). While the user
paints or drags the alpha slider a preview stage renders; the full result follows
when they pause.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from e4s_core import E4SModel
from e4s_core.errors import E4SError
from e4s_core.model_files import ModelRegistry
from e4s_core.photo.parse import BUILT_IN_PARSER, describe_parser, load_parser
from e4s_core.regions import REGIONS, region_id
from e4s_core.untrusted import printable

from . import files
from .exports import EXPORT_KINDS, export_dialog
from .fit_action import TASK_KEY as FIT_TASK
from .fit_action import FitAction
from .models.document import Document
from .models.history import History
from .models.result import DEFAULT_VIEW, RESULT_VIEWS, Result, ResultRenderer
from .models.tools import TOOLS
from .models.viewport import Viewport
from .reference_actions import ReferenceActions
from .safe_work import SafeWork
from .settings import (
    BUNDLED_MODEL_NOTE_DISMISSED,
    PARSER,
    RESULT_VIEW,
    WINDOW_GEOMETRY,
    folder_key,
    user_settings,
)
from .swap_action import SwapAction
from .texture_action import TextureAction
from .video_action import FRAME_TASK as VIDEO_FRAME_TASK
from .video_action import OPEN_TASK as VIDEO_OPEN_TASK
from .video_action import VideoAction
from .widgets.canvas_view import MaskCanvasView
from .widgets.first_run_note import FirstRunNote
from .widgets.frame_scrubber import FrameScrubber
from .widgets.gallery import ReferenceGallery
from .widgets.history_strip import HistoryStrip
from .widgets.image_view import ImageView
from .widgets.pane_row import PaneRow
from .widgets.region_bar import RegionBar
from .widgets.tool_panel import ToolPanel
from .workers.render_scheduler import RenderScheduler
from .workers.render_worker import RenderOutcome, RenderWorker
from .workers.task_queue import TaskQueue

log = logging.getLogger(__name__)

PREVIEW_SIZE = 256
MODEL_TASK = "model"


class MainWindow(QMainWindow):
    def __init__(self, model: E4SModel | None = None, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("E4S Studio")
        self.settings = settings or user_settings()
        self.model = model
        self.document: Document | None = None
        self.result: Result | None = None  # the last full result
        self._last_shown: Result | None = None  # the last result shown (a preview or the full one)
        self.errors: list[str] = []  # every error shown, for tests and the log
        self.worker = RenderWorker(self)
        self.tasks = TaskQueue(self)
        self._active_label = region_id("skin")
        self.renders = RenderScheduler(self.worker, self._render_job, self)
        self._renderer = ResultRenderer()  # used only on the render thread
        self._loading_model = False
        self._photo_after_model: Path | None = None  # asked for while the model was loading
        self._timing_note = ""  # the last "Rendered in" note, which later notes may replace
        self.work = SafeWork(self, self.settings)  # modified marker, unsaved prompt, autosave
        self._build_views()
        self.reference_actions = ReferenceActions(self)  # add, re-parse, paint a mask, remove
        self.references = self.reference_actions.references  # hash -> the gallery's faces
        self._build_actions()
        self._connect()
        self._restore_settings()
        self.parser = self._remembered_parser()
        self._update_model_label()
        self.set_label(self._active_label)
        self._update_texture_controls()

    # -- layout --------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.tools = ToolPanel()
        self.input_view, self.result_view = ImageView(), ImageView()
        self.input_view.set_placeholder("Open a photo (Ctrl+O)")
        self.result_view.set_placeholder("The edited face appears here")
        self.canvas_view = MaskCanvasView()
        self.gallery = ReferenceGallery()
        self.regions = RegionBar()
        self.history_strip = HistoryStrip()
        self.viewport = Viewport()  # one zoom and pan for the three panes
        for view in (self.input_view, self.canvas_view, self.result_view):
            view.set_viewport(self.viewport)
        self.panes = PaneRow([self.input_view, self.canvas_view, self.result_view])
        self.first_run_note = FirstRunNote()
        center = QVBoxLayout()
        center.setContentsMargins(0, 0, 0, 0)
        center.addWidget(self.first_run_note)
        center.addWidget(self.panes, 1)
        self.scrubber = FrameScrubber()  # shown while a video is open
        center.addWidget(self.scrubber)
        center.addWidget(self.regions)
        center.addWidget(self.history_strip)
        middle = QWidget()
        middle.setLayout(center)
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.tools)
        outer.addWidget(middle)
        self.swapper = SwapAction(self)  # the Swap panel under the gallery, whose reference it uses
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.gallery, 1)
        right_column.addWidget(self.swapper.panel)
        outer.addWidget(right)
        outer.setStretchFactor(1, 1)
        self.setCentralWidget(outer)
        self.model_label, self.busy_bar = QLabel(), QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.hide()
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.model_label)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _in_window(self, action):
        return lambda *_: action(self)

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        in_window = self._in_window  # the file actions (files.py) take the window as argument
        self._action(file_menu, "&New", self.close_document, QKeySequence.StandardKey.New)
        self._action(
            file_menu, "&Open photo…", in_window(files.open_photo_dialog), QKeySequence.StandardKey.Open
        )
        self.video_action = VideoAction(self, file_menu)  # Open video…, Export video…
        self._action(file_menu, "Open &mask…", in_window(files.open_mask_dialog))
        file_menu.addSeparator()
        self._action(file_menu, "Open &project…", in_window(files.open_project_dialog))
        self._action(
            file_menu, "&Save project", in_window(files.save_project_dialog), QKeySequence.StandardKey.Save
        )
        self._action(
            file_menu,
            "Save project &as…",
            lambda: files.save_project_dialog(self, choose=True),
            QKeySequence.StandardKey.SaveAs,
        )
        file_menu.addSeparator()
        self.export_actions = {
            kind.name: self._action(
                file_menu, kind.menu_text, lambda _=False, k=kind.name: export_dialog(self, k), kind.shortcut
            )
            for kind in EXPORT_KINDS
        }
        file_menu.addAction(self.video_action.export_action)
        file_menu.addSeparator()
        self._action(file_menu, "Choose &model…", in_window(files.choose_model_dialog))
        self._action(file_menu, "Choose &parser…", in_window(files.choose_parser_dialog))
        self._action(file_menu, "Manage models and &parsers…", in_window(files.model_manager_dialog))
        self._action(
            file_menu, "Use the built-in &landmark parser", lambda: files.choose_parser(self, BUILT_IN_PARSER)
        )
        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action(edit_menu, "&Undo", self.undo, QKeySequence.StandardKey.Undo)
        redo_keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        self.redo_action = self._action(edit_menu, "&Redo", self.redo, redo_keys)
        edit_menu.addSeparator()
        self.texture = TextureAction(self, edit_menu)  # the texture controls' preview and Apply
        self.apply_texture_action = self.texture.action
        self.fitter = FitAction(self, edit_menu)  # Fit to photo, and its Cancel
        view_menu = self.menuBar().addMenu("&View")
        self.split_action = self._action(view_menu, "&Split compare", self.toggle_split, "S")
        self.split_action.setCheckable(True)
        self._action(view_menu, "&Fit the face in the panes", self.viewport.fit, "Ctrl+0")
        self._action(
            view_menu, "Zoom &in", lambda: self.canvas_view.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn
        )
        self._action(
            view_menu, "Zoom &out", lambda: self.canvas_view.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut
        )
        self.cycle_panes_action = self._action(
            view_menu, "&Next pane large (input, mask, result, all)", lambda: self.panes.cycle(1), "Tab"
        )
        self._action(view_menu, "&Previous pane large", lambda: self.panes.cycle(-1), "Shift+Tab")
        self.raw_render_action = self._action(
            view_menu, "Show the model's &raw render", self._on_result_view, "V"
        )
        self.raw_render_action.setCheckable(True)
        self.raw_render_action.setToolTip(
            "The result pane shows your photo with the edit; this shows what the model itself renders"
        )
        shortcuts = self.menuBar().addMenu("&Tools")
        for tool in TOOLS:
            self._action(shortcuts, tool.label, lambda _=False, t=tool.name: self.set_tool(t), tool.shortcut)
        for region in REGIONS:
            self._action(
                shortcuts,
                f"Paint {region.label}",
                lambda _=False, r=region.id: self.set_label(r),
                region.shortcut,
            )
        self._action(shortcuts, "Smaller brush", lambda: self.resize_brush(-2), "[")
        self._action(shortcuts, "Larger brush", lambda: self.resize_brush(+2), "]")

    def _connect(self) -> None:
        self.worker.finished.connect(self._on_render)
        self.worker.busy_changed.connect(self._on_busy)
        self.tasks.finished.connect(self._on_task)
        self.tools.tool_changed.connect(self.canvas_view.set_tool)
        self.tools.brush_size_changed.connect(self.canvas_view.set_brush_radius)
        self.tools.opacity_changed.connect(self.canvas_view.set_overlay_opacity)
        self.tools.preserve_changed.connect(self._set_preserve)
        self.tools.undo_requested.connect(self.undo)
        self.tools.redo_requested.connect(self.redo)
        self.regions.active_changed.connect(self.set_label)
        self.canvas_view.label_picked.connect(self.set_label)
        self.canvas_view.stroke_moved.connect(lambda: self.renders.preview())
        self.canvas_view.edited.connect(self._on_mask_edited)
        self.gallery.reference_selected.connect(self.swapper.update_source)
        self.history_strip.step_clicked.connect(self._go_to_step)
        self.first_run_note.manage_requested.connect(lambda: files.model_manager_dialog(self))
        self.first_run_note.dismissed.connect(
            lambda: self.settings.setValue(BUNDLED_MODEL_NOTE_DISMISSED, True)
        )

    # -- state shared by actions ---------------------------------------------------------
    def show_error(self, message: str, dialog: bool = True) -> None:
        message = printable(message)  # file names and metadata are other people's text
        self.errors.append(message)
        self.statusBar().showMessage(message, 10000)
        if dialog and not self.property("quiet"):
            QMessageBox.warning(self, "E4S Studio", message)

    def _update_first_run_note(self) -> None:
        dismissed = str(self.settings.value(BUNDLED_MODEL_NOTE_DISMISSED, "false")).lower() == "true"
        self.first_run_note.setVisible(self.model is not None and self.model.bundled and not dismissed)

    def _update_model_label(self) -> None:
        self._update_first_run_note()
        text = self.model.describe() if self.model else "No model loaded — File › Choose model…"
        self.model_label.setText(f"{text} · parser: {describe_parser(self.parser)}")
        self.fitter.update_enabled()

    def _on_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy or self.tasks.pending > 0)
        self.result_view.set_busy(busy)

    def set_tool(self, tool: str) -> None:
        self.tools.set_tool(tool)
        self.canvas_view.set_tool(tool)

    def set_label(self, label: int) -> None:
        self._active_label = label
        self.regions.set_active(label)
        if self.document:
            self.document.canvas.active_label = label

    def resize_brush(self, step: int) -> None:
        self.tools.set_brush_size(max(1, min(100, self.tools.brush_size() + step)))

    def _set_preserve(self, on: bool) -> None:
        if self.document:
            self.document.canvas.protect_others = on

    # -- documents -----------------------------------------------------------------------
    def load_model_in_background(self, load) -> None:
        """Run ``load() -> (model or None, problem or None)`` on the task thread; the window says so."""
        self._loading_model = True
        self.model_label.setText("Loading the model…")
        self.statusBar().showMessage("Loading the model…")
        self.busy_bar.show()
        self.tasks.submit(MODEL_TASK, load)

    @property
    def opening_photo(self) -> bool:
        """A photo is waiting for the model or being opened."""
        return self._photo_after_model is not None or self.tasks.has("open")

    def _on_model_loaded(self, outcome: RenderOutcome) -> None:
        self._loading_model = False
        model, problem = (None, outcome.error) if outcome.error else outcome.value
        waiting, self._photo_after_model = self._photo_after_model, None
        if model is None:
            self.show_error(f"No model could be loaded: {problem} Choose one: File › Choose model…")
            self._update_model_label()
            return
        self.model = model
        self._update_model_label()
        self.statusBar().showMessage(
            problem or f"Model ready: {model.describe()}", 15000 if problem else 3000
        )
        if waiting is not None:
            self.open_photo(waiting)
        elif self.document is not None:  # e.g. a project recovered while the model loaded
            self.renders.full_now()

    def open_photo(self, path: str | Path) -> None:
        """Open, align, parse and encode in the background; the window stays responsive."""
        if self._loading_model:
            if self.work.confirm_replace("opening another photo"):
                self._photo_after_model = Path(path)
                self.statusBar().showMessage(f"Loading the model, then {Path(path).name}…")
            return
        if self.model is None:
            self.show_error("Choose a model first (File › Choose model…).")
            return
        if not self.work.confirm_replace("opening another photo"):
            return
        model, path = self.model, Path(path)
        self.statusBar().showMessage(f"Opening {path.name}…")
        parser = self.parser
        self.tasks.submit("open", lambda: Document.open(model, path, parser=parser))

    def set_document(self, document: Document) -> None:
        if self.document is not None:  # the old document may live on (a fit still running on it)
            self.document.history.changed.disconnect(self._on_history)
            self.document.vectors_changed.disconnect(self._on_vectors_changed)
        self.document = document
        self.texture.pending = None
        self.video_action.document_replaced(document)
        self.result = self._last_shown = None  # the old face's result must not be exported for this one
        self.set_result_view(document.result_view or self._remembered_view())
        canvas = document.canvas
        canvas.active_label = self._active_label
        self.input_view.set_image(document.source.aligned.image)
        self.canvas_view.set_canvas(canvas)
        self.canvas_view.set_photo(document.source.aligned.image)
        self.canvas_view.set_brush_radius(self.tools.brush_size())
        self.canvas_view.set_overlay_opacity(self.tools.opacity())
        canvas.protect_others = self.tools.preserve()
        document.history.changed.connect(self._on_history)
        document.vectors_changed.connect(self._on_vectors_changed)
        for reference in self.references.values():  # the gallery outlives documents
            document.add_reference(reference)
        self.references.update(document.references)
        for reference in document.references.values():  # e.g. from an opened project
            if self.gallery.item_for_hash(reference.hash) is None:
                self.gallery.set_reference(reference.name, reference)
        self._on_history()
        self._update_texture_controls()
        self.swapper.update_source()
        self.fitter.update_enabled()
        self.renders.full_now()
        self.work.mark_saved()  # nothing to lose yet; opening a project names its file after this
        self.statusBar().showMessage(f"Opened {document.source.name}", 5000)

    def close_document(self) -> bool:
        """File › New: back to the empty window (after asking about unsaved changes)."""
        if self.document is None or not self.work.confirm_replace("starting anew"):
            return False
        self.document.history.changed.disconnect(self._on_history)
        self.document.vectors_changed.disconnect(self._on_vectors_changed)
        self.document = self.result = self._last_shown = self.texture.pending = None
        self.video_action.document_replaced(None)
        for view in (self.input_view, self.result_view):
            view.set_image(None)
        self.canvas_view.set_canvas(None)
        self.canvas_view.set_photo(None)
        self.history_strip.refresh(History())
        self._update_texture_controls()
        self.swapper.update_source()
        self.fitter.update_enabled()
        self.work.mark_saved()
        return True

    def add_references(self, paths: list[str]) -> None:
        self.reference_actions.add(paths)

    def _on_task(self, outcome: RenderOutcome) -> None:
        self._on_busy(self.worker.busy)
        key = outcome.kind
        if key == MODEL_TASK:
            self._on_model_loaded(outcome)
        elif key in (VIDEO_OPEN_TASK, VIDEO_FRAME_TASK):
            self.video_action.finish(key, outcome)
        elif key == FIT_TASK:
            self.fitter.finish(outcome)
        elif self.reference_actions.owns(key):
            self.reference_actions.finish(key, outcome)
        elif outcome.error:
            self.show_error(outcome.error)
        elif key == "open":
            self.set_document(outcome.value)

    # -- editing -------------------------------------------------------------------------
    def _on_history(self) -> None:
        if not self.document:
            return
        self.swapper.plan = None  # a previewed swap was planned on the state before this step
        self.work.history_changed()
        self.video_action.history_changed()
        history = self.document.history
        self.undo_action.setEnabled(history.can_undo)
        self.redo_action.setEnabled(history.can_redo)
        self.tools.set_undo_state(history.can_undo, history.can_redo)
        self.history_strip.refresh(history)
        self._update_texture_controls()

    def undo(self) -> None:
        if self.document and self.document.history.undo():
            self._schedule_full()

    def redo(self) -> None:
        if self.document and self.document.history.redo():
            self._schedule_full()

    def _go_to_step(self, position: int) -> None:
        if self.document:
            self.document.history.go_to(position)
            self._schedule_full()

    def _on_vectors_changed(self) -> None:
        self.texture.textures_changed()
        self._schedule_full()

    def apply_texture(self, alpha: float | None = None) -> None:
        self.texture.apply(alpha)

    def _update_texture_controls(self, *_) -> None:
        self.texture.update_controls()

    # -- rendering -----------------------------------------------------------------------
    def _on_mask_edited(self) -> None:
        """A finished gesture: show its preview at once, the full result when the user pauses."""
        self.renders.preview()
        self.renders.full_soon()

    def _schedule_full(self, *_) -> None:
        self.renders.full_soon()

    def _render_job(self, preview: bool):
        """A render of the current edit, from copies, so later edits cannot race with it."""
        if not (self.document and self.model):
            return None
        document, model, renderer = self.document, self.model, self._renderer
        state = self.swapper.pending_state() or document.snapshot(self.texture.pending)
        size = min(PREVIEW_SIZE, model.resolution) if preview else None
        return lambda: renderer.render(model, document, state, size)

    def _on_render(self, outcome: RenderOutcome) -> None:
        if outcome.error:
            self.show_error(outcome.error)
            return
        self._last_shown = outcome.value
        self._show_result()
        if outcome.kind == "full":
            self.result = outcome.value
            if self.statusBar().currentMessage() in ("", self._timing_note):  # never hide a report
                self._timing_note = f"Rendered in {outcome.seconds:.2f} s"
                self.statusBar().showMessage(self._timing_note, 3000)
            if self.document:
                face = outcome.value.face(self.result_view_mode)
                self.history_strip.set_thumbnail(self.document.history.position - 1, face)
        self._update_compare()

    # -- the result: the photo with the edit, or the model's raw render -------------------
    @property
    def result_view_mode(self) -> str:
        return "render" if self.raw_render_action.isChecked() else "photo"

    def set_result_view(self, view: str) -> None:
        if view not in RESULT_VIEWS:
            raise ValueError(f"unknown result view {view!r}; views are {', '.join(RESULT_VIEWS)}")
        self.raw_render_action.setChecked(view == "render")

    def _on_result_view(self, *_) -> None:
        self.settings.setValue(RESULT_VIEW, self.result_view_mode)
        if self.document is not None:
            self.document.result_view = self.result_view_mode
        self._show_result()

    def _show_result(self) -> None:
        if self.video_action.shown_frame is not None:  # the panes preview another frame of a video
            return
        if self._last_shown is not None:
            self.result_view.set_image(self._last_shown.face(self.result_view_mode))

    # -- compare (hold Space, or the split toggle) ---------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self.document:
            self.result_view.set_compare(self.document.source.aligned.image, None)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._update_compare()
            return
        super().keyReleaseEvent(event)

    def toggle_split(self) -> None:
        self._update_compare()

    def _update_compare(self) -> None:
        split = self.split_action.isChecked() and self.document is not None
        original = self.document.source.aligned.image if split else None
        self.result_view.set_compare(original, 0.5 if split else None)

    def _restore_settings(self) -> None:
        geometry = self.settings.value(WINDOW_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 900)
        self.gallery.last_folder = str(self.settings.value(folder_key("references"), ""))
        self.set_result_view(self._remembered_view())

    def _remembered_parser(self):
        """The parser chosen last; if its file no longer loads, the built-in one, and the user is told."""
        try:  # the last one chosen in the studio, else the one `e4s-studio models use` chose
            choice = str(self.settings.value(PARSER, "")) or ModelRegistry().active_file("parser")
            return load_parser(choice or BUILT_IN_PARSER)
        except E4SError as error:
            self.show_error(f"{error} Using the built-in landmark parser.", dialog=False)
            return load_parser(BUILT_IN_PARSER)

    def _remembered_view(self) -> str:
        view = str(self.settings.value(RESULT_VIEW, DEFAULT_VIEW))
        return view if view in RESULT_VIEWS else DEFAULT_VIEW

    def closeEvent(self, event) -> None:
        if not self.work.confirm_replace("closing"):
            event.ignore()
            return
        self.work.discard_autosave()  # saved or discarded: nothing is left to recover
        self.work.stop()
        self.renders.stop()
        self.settings.setValue(WINDOW_GEOMETRY, self.saveGeometry())
        self.settings.setValue(folder_key("references"), self.gallery.last_folder or "")
        self.fitter.cancel()  # a fit stops at its next step instead of holding up the exit
        self.video_action.shutdown()
        self.worker.shutdown(2.0)
        self.tasks.shutdown()
        super().closeEvent(event)
