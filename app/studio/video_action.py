"""File › Open video… and Export video…: edit a video's face as a photo, preview any frame, export.

The first frame where a face is found opens as the document: reference textures (and their mix)
are edited as on a photo. Shape edits are per frame and out of scope, so the mask pane is read-only
while a video is open. The frame slider previews the texture steps on any frame; Export video…
runs ``e4s-studio video-edit``'s pipeline (tracking, smoothing, the per-frame edit, H.264 with the
audio) on a background thread, with progress and Cancel, writing nothing unless it finishes.
"""

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QPushButton

from e4s_core.errors import E4SError, InputError

from .models.document import Document, encode_face
from .models.video_edit import FrameEditor, edit_frames, first_face, texture_mixes
from .settings import folder_key

VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.m4v *.avi *.webm);;All files (*)"
OPEN_TASK, FRAME_TASK = "video-open", "video-frame"


class ExportCancelledError(Exception):
    """The user cancelled an export."""


class VideoAction(QObject):
    progressed = Signal(int, int)  # frames done, frames: from the export thread
    export_finished = Signal(str)  # "" on success, else the message

    def __init__(self, window, menu) -> None:
        super().__init__(window)
        self.window = window
        self.video: Path | None = None
        self.document: Document | None = None  # the document the video opened as
        self.document_frame = 0  # the frame the document is
        self.shown_frame: int | None = None  # the frame previewed in the panes, None: the document
        self._stop = threading.Event()
        self._export: threading.Thread | None = None
        self.open_action = window._action(menu, "Open &video…", self.open_dialog)
        self.export_action = QAction("Export vi&deo…", window)  # the window puts it among the exports
        self.export_action.triggered.connect(self.export_dialog)
        self.export_action.setEnabled(False)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        window.statusBar().insertPermanentWidget(0, self.cancel_button)
        window.scrubber.frame_chosen.connect(self.preview_frame)
        self.progressed.connect(self._on_progress)
        self.export_finished.connect(self._on_export_finished)

    @property
    def exporting(self) -> bool:
        return self._export is not None and self._export.is_alive()

    # -- opening ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        window = self.window
        folder = str(window.settings.value(folder_key("photos"), ""))
        path, _ = QFileDialog.getOpenFileName(window, "Open video", folder, VIDEO_FILTER)
        if path:
            self.open(path)

    def open(self, path: str | Path) -> None:
        window = self.window
        if window.model is None:
            window.show_error("Choose a model first (File › Choose model…).")
            return
        if not window.work.confirm_replace("opening a video"):
            return
        path, model, parser = Path(path), window.model, window.parser

        def load():
            from e4s_core.video.io import probe

            info = probe(path)
            index, source = first_face(path, parser)
            return path, info, index, Document(source, encode_face(model, source))

        window.statusBar().showMessage(f"Opening {path.name}…")
        window.tasks.submit(OPEN_TASK, load)

    def finish(self, task: str, outcome) -> None:
        """The task queue's outcome of an open or a frame preview."""
        window = self.window
        if outcome.error:
            window.show_error(outcome.error, dialog=task == OPEN_TASK)
            return
        if task == OPEN_TASK:
            path, info, index, document = outcome.value
            self.video, self.document = path, document
            self.document_frame, self.shown_frame = index, None
            window.set_document(document)
            window.scrubber.set_frames(self._count(path, info), index)
            window.scrubber.show()
            window.canvas_view.setEnabled(False)
            window.canvas_view.setToolTip("Shape edits are per frame: a video takes texture edits only")
            self.export_action.setEnabled(True)
            window.statusBar().showMessage(
                f"{path.name}: frame {index} opened; texture edits apply to every frame (Export video…)", 8000
            )
        else:
            index, raw, edited = outcome.value
            if index == self.shown_frame:  # not a frame the user has since moved away from
                window.input_view.set_image(raw)
                window.result_view.set_image(edited)

    @staticmethod
    def _count(path: Path, info) -> int:
        if info.frames:
            return info.frames
        from e4s_core.video.io import read_frames

        return sum(1 for _ in read_frames(path))

    def document_replaced(self, document) -> None:
        """The window shows another document: a video opened before is closed."""
        if self.video is not None and document is not self.document:
            self.video = self.document = self.shown_frame = None
            self.window.scrubber.hide()
            self.window.canvas_view.setEnabled(True)
            self.window.canvas_view.setToolTip("")
            self.export_action.setEnabled(False)

    # -- previewing a frame ------------------------------------------------------------------------
    @Slot(int)
    def preview_frame(self, index: int) -> None:
        window = self.window
        if self.video is None or self.document is None:
            return
        if index == self.document_frame:  # the document's own frame: its crop, as edited
            self.shown_frame = None
            window.input_view.set_image(self.document.source.aligned.image)
            window._show_result()
            return
        self.shown_frame = index
        video, model, parser, mixes = self.video, window.model, window.parser, texture_mixes(self.document)

        def render():
            from e4s_core.photo.align import ffhq_square
            from e4s_core.photo.faces import detect_faces
            from e4s_core.video.io import read_frame

            rgb = read_frame(video, index)
            faces = detect_faces(rgb)
            if not faces or not mixes:
                return index, rgb, rgb  # no face or no texture step: the frame as it is
            square = np.stack(ffhq_square(faces[0].landmarks))
            return index, rgb, FrameEditor(model, parser, mixes).edit(rgb, square, faces[0].landmarks)

        window.tasks.submit(FRAME_TASK, render)

    def history_changed(self) -> None:
        """A texture step was made or undone: the previewed frame shows it too."""
        if self.shown_frame is not None:
            self.preview_frame(self.shown_frame)

    # -- exporting ----------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        window = self.window
        if self.video is None:
            return
        folder = str(window.settings.value(folder_key("exports"), "")) or str(self.video.parent)
        suggested = str(Path(folder) / f"{self.video.stem}_edited.mp4")
        path, _ = QFileDialog.getSaveFileName(window, "Export video", suggested, "H.264 video (*.mp4)")
        if path:
            window.settings.setValue(folder_key("exports"), str(Path(path).parent))
            self.export(path)

    def export(self, path: str | Path) -> None:
        """Write the edited video in the background (tracking, then every frame)."""
        from e4s_core.files import OutputFiles

        window = self.window
        if self.video is None or self.exporting:
            return
        try:
            from e4s_core.video.io import VIDEO_SUFFIXES

            outputs = OutputFiles((path, VIDEO_SUFFIXES, "the edited video"))
        except E4SError as error:
            window.show_error(str(error))
            return
        mixes = texture_mixes(self.document)
        if not mixes:
            window.show_error("Nothing to export yet: apply a texture from a reference first.")
            return
        job = (Path(path), outputs, self.video, window.model, window.parser, mixes)
        self._stop.clear()
        self._export = threading.Thread(
            target=self._run_export, args=job, name="e4s-video-export", daemon=True
        )
        self.cancel_button.show()
        window.busy_bar.setRange(0, 0)
        window.busy_bar.show()
        window.statusBar().showMessage("Exporting the video: finding the face…")
        self._export.start()

    def _run_export(self, path: Path, outputs, video: Path, model, parser, mixes) -> None:
        from e4s_core.video.io import probe, read_frames, save_video
        from e4s_core.video.tracking import track_face

        try:
            info = probe(video)
            track = track_face(read_frames(video), progress=self._check_stop)
            if not track.found_any:
                raise InputError(f"No face found in any frame of {video.name}.")
            total, done = len(track.squares), [0]

            def step() -> None:
                done[0] += 1
                self.progressed.emit(done[0], total)
                self._check_stop()

            _, frames = edit_frames(
                read_frames(video), track, FrameEditor(model, parser, mixes), progress=step
            )

            with outputs:
                save_video(outputs.temp(path), frames, info, audio_from=video)
            self.export_finished.emit("")
        except ExportCancelledError:
            self.export_finished.emit("Export cancelled: nothing was written.")
        except (E4SError, OSError) as error:
            self.export_finished.emit(f"Could not export the video: {error}")
        except Exception as error:  # noqa: BLE001 - shown to the user instead of lost on a thread
            self.export_finished.emit(f"Internal error while exporting the video: {error!r}")

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise ExportCancelledError

    def cancel(self) -> None:
        if self.exporting:
            self._stop.set()
            self.window.statusBar().showMessage("Cancelling the export…")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        window = self.window
        window.busy_bar.setRange(0, total)
        window.busy_bar.setValue(done)
        window.statusBar().showMessage(f"Exporting the video: frame {done}/{total}…")

    @Slot(str)
    def _on_export_finished(self, problem: str) -> None:
        window = self.window
        self.cancel_button.hide()
        window.busy_bar.setRange(0, 0)
        window._on_busy(window.worker.busy)
        if problem:
            window.show_error(problem, dialog="cancelled" not in problem)
        else:
            window.statusBar().showMessage("Video exported.", 8000)

    def shutdown(self) -> None:
        self.cancel()
        if self._export is not None:
            self._export.join(timeout=10)
