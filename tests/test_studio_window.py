"""The real studio window, offscreen, with a small random model: edits, texture, files, errors."""

import threading

import cv2
import numpy as np
import pytest
from photos import astronaut
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QTimer
from studio_helpers import drag, labels_of, send_mouse, wait_idle

from app.studio.exports import export
from app.studio.files import choose_model, open_mask, open_project, save_project_to
from app.studio.main_window import MainWindow
from app.studio.safe_work import Unsaved
from e4s_core.photo.io import write_photo
from e4s_core.regions import region_id
from e4s_core.rendering import render_face


def to_widget(view, x: float, y: float) -> tuple[float, float]:
    """Widget position over label pixel (x, y): the inverse of the view's own (affine) mapping."""
    origin = np.array(view.label_at(QPointF(0, 0)))
    unit = np.array(view.label_at(QPointF(100, 100))) - origin
    return float((x - origin[0]) * 100 / unit[0]), float((y - origin[1]) * 100 / unit[1])


def paint_and_save(window, qtbot, path, start, end) -> None:
    """One brush stroke from label pixel ``start`` to ``end``, rendered, then saved as a project."""
    window.set_tool("brush")
    drag(window.canvas_view, [to_widget(window.canvas_view, *start), to_widget(window.canvas_view, *end)])
    wait_idle(qtbot, window)
    assert save_project_to(window, str(path))


def test_brush_stroke_changes_pixels_under_it_and_undo_redo_restore(opened, qtbot):
    window, _, _ = opened
    window.set_tool("brush")
    window.tools.set_brush_size(6)
    window.set_label(region_id("hair"))
    before = labels_of(window)
    drag(
        window.canvas_view, [to_widget(window.canvas_view, 150, 300), to_widget(window.canvas_view, 350, 300)]
    )
    after = labels_of(window)
    changed = after != before
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 100 and (after[changed] == region_id("hair")).all()
    assert rows.min() >= 300 - 8 and rows.max() <= 300 + 8 and cols.min() >= 150 - 8 and cols.max() <= 350 + 8
    window.undo()
    assert np.array_equal(labels_of(window), before)
    window.redo()
    assert np.array_equal(labels_of(window), after)


def test_fill_stops_at_the_region_border(opened):
    window, _, _ = opened
    labels = labels_of(window)
    window.set_tool("fill")
    window.set_label(region_id("ears"))
    x, y = 256, 256  # inside the face: skin or nose
    target = labels[y, x]
    send_mouse(window.canvas_view, QEvent.Type.MouseButtonPress, *to_widget(window.canvas_view, x, y))
    send_mouse(window.canvas_view, QEvent.Type.MouseButtonRelease, *to_widget(window.canvas_view, x, y))
    after = labels_of(window)
    changed = after != labels
    assert changed.any() and (labels[changed] == target).all()
    count, components = cv2.connectedComponents((labels == target).astype(np.uint8), connectivity=4)
    assert np.array_equal(changed, components == components[y, x])


def test_eraser_restores_the_parsed_labels(opened):
    window, _, _ = opened
    parsed = window.document.canvas.parsed.copy()
    window.set_tool("brush")
    window.tools.set_brush_size(10)
    window.set_label(region_id("eye_glass"))
    path = [to_widget(window.canvas_view, 200, 250), to_widget(window.canvas_view, 300, 250)]
    drag(window.canvas_view, path)
    assert (labels_of(window) != parsed).any()
    window.set_tool("eraser")
    window.tools.set_brush_size(14)
    drag(window.canvas_view, path)
    assert np.array_equal(labels_of(window), parsed)


def test_texture_swap_changes_the_checked_region_and_alpha_zero_changes_nothing(opened, qtbot):
    window, _, reference = opened
    window.add_references([reference])
    qtbot.waitUntil(lambda: len(window.document.references) == 1, timeout=30000)
    ref_hash = next(iter(window.document.references))
    window.gallery.select_reference(ref_hash)
    window.regions.set_checked((region_id("hair"),))
    model, labels = window.model, labels_of(window)
    before = render_face(model, labels, window.document.vectors.copy())

    window.apply_texture(0.0)
    assert np.array_equal(render_face(model, labels, window.document.vectors.copy()), before)
    window.apply_texture(1.0)
    after = render_face(model, labels, window.document.vectors.copy())
    change = np.abs(after.astype(int) - before.astype(int)).sum(2)
    hair = cv2.resize(
        (labels == region_id("hair")).astype(np.uint8), change.shape[::-1], interpolation=cv2.INTER_NEAREST
    )
    near_hair = cv2.dilate(hair, np.ones((5, 5), np.uint8)) > 0
    assert change.sum() > 0 and change[near_hair].sum() >= 0.9 * change.sum()
    assert window.document.history.edits[-1].regions == (region_id("hair"),)


def test_project_save_and_open_reproduce_labels_vectors_and_result(opened, qtbot, tmp_path):
    window, _, _ = opened
    paint_and_save(window, qtbot, tmp_path / "edit.e4s", (100, 100), (200, 140))
    labels, vectors, result = labels_of(window), window.document.vectors.copy(), window.result
    window.undo()
    assert open_project(window, str(tmp_path / "edit.e4s"))
    wait_idle(qtbot, window)
    assert np.array_equal(labels_of(window), labels) and np.array_equal(window.document.vectors, vectors)
    assert np.array_equal(window.result.render, result.render)
    assert np.array_equal(window.result.face("photo"), result.face("photo"))
    assert window.document.history.can_undo


def test_export_writes_valid_files(opened, tmp_path):
    window, _, _ = opened
    for what, name in (("face", "r.png"), ("photo", "p.jpg"), ("labels", "l.png"), ("color", "c.png")):
        assert export(window, str(tmp_path / name), what), window.errors
        with Image.open(tmp_path / name) as image:
            image.load()
    assert Image.open(tmp_path / "p.jpg").size == (512, 512)  # the whole photo, face pasted back
    assert np.asarray(Image.open(tmp_path / "l.png")).max() <= 11


def test_corrupt_files_show_a_message_and_the_window_stays_usable(opened, qtbot, tmp_path):
    window, photo, _ = opened
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    window.open_photo(str(junk))
    qtbot.waitUntil(lambda: len(window.errors) == 1, timeout=10000)
    assert "junk.png" in window.errors[0]
    assert not open_mask(window, str(junk)) and not open_project(window, str(junk))
    assert not choose_model(window, str(junk))
    assert len(window.errors) == 4 and window.document is not None
    window.open_photo(photo)  # still works
    wait_idle(qtbot, window)
    assert window.result is not None


def test_ui_keeps_processing_events_while_a_slow_model_renders(opened, qtbot, monkeypatch):
    window, _, _ = opened
    release, started = threading.Event(), threading.Event()
    fast_render = window.model.render

    def slow_render(*args, **kwargs):  # a model that takes as long as the test wants
        started.set()
        release.wait(5)
        return fast_render(*args, **kwargs)

    monkeypatch.setattr(window.model, "render", slow_render)
    ticks = []
    timer = QTimer(interval=20, timeout=lambda: ticks.append(1))
    timer.start()
    window.renders.full_now()
    qtbot.waitUntil(started.is_set, timeout=5000)
    QTimer.singleShot(400, release.set)
    with qtbot.waitSignal(window.worker.finished, timeout=10000):
        pass
    timer.stop()
    assert len(ticks) >= 10  # the GUI thread ran its timer while the model was busy


def test_autosave_and_recovery_after_a_crash(opened, qtbot, tmp_path):
    window, _, _ = opened
    work = window.work
    window.set_tool("brush")
    drag(
        window.canvas_view, [to_widget(window.canvas_view, 120, 400), to_widget(window.canvas_view, 300, 420)]
    )
    assert work.autosave_now() and work.autosave_path.exists()
    assert not work.autosave_now()  # nothing new to save
    labels = labels_of(window)
    crashed_later = MainWindow(window.model, settings=window.settings)  # a new session
    crashed_later.setProperty("quiet", True)
    qtbot.addWidget(crashed_later)
    crashed_later.work.autosave_path = work.autosave_path
    assert crashed_later.work.recover_autosave()
    assert np.array_equal(labels_of(crashed_later), labels)
    assert crashed_later.work.modified  # recovered work is saved nowhere yet
    crashed_later.work.ask = lambda _action: Unsaved.DISCARD
    crashed_later.close()
    assert not work.autosave_path.exists()  # discarding removes it


def test_references_stay_usable_after_opening_another_photo(opened, qtbot, tmp_path):
    window, photo, reference = opened
    window.add_references([reference])
    qtbot.waitUntil(lambda: len(window.references) == 1, timeout=30000)
    mirrored = write_photo(np.ascontiguousarray(astronaut()[:, ::-1]), tmp_path / "mirrored.png")
    window.open_photo(str(mirrored))  # a new document
    qtbot.waitUntil(lambda: window.document.source.name == "mirrored.png", timeout=30000)
    wait_idle(qtbot, window)
    ref_hash = next(iter(window.references))
    window.gallery.select_reference(ref_hash)
    window.regions.set_checked((region_id("skin"),))
    window.apply_texture(1.0)
    assert window.document.history.edits[-1].reference == ref_hash


def test_a_saved_project_replays_headless_to_the_same_result(opened, qtbot, tmp_path):
    from app.cli import main
    from e4s_core import save_model

    window, _, _ = opened
    paint_and_save(window, qtbot, tmp_path / "edit.e4s", (100, 200), (300, 260))
    model_file = save_model(window.model.network, tmp_path / "model.pt")
    out, photo_out = tmp_path / "replayed.png", tmp_path / "photo.png"
    argv = ["render-project", str(tmp_path / "edit.e4s"), "-o", str(out), "--photo", str(photo_out)]
    assert main([*argv, "--model", str(model_file), "--device", "cpu"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), window.result.face("photo"))
    assert Image.open(photo_out).size == (512, 512)


def test_the_result_is_the_photo_with_the_edit_and_the_raw_render_is_one_toggle_away(opened, qtbot, tmp_path):
    window, _, _ = opened
    photo = window.document.source.aligned.image
    assert window.result_view_mode == "photo"
    assert np.array_equal(window.result.face("photo"), photo)  # nothing edited: the photo itself
    paint_and_save(window, qtbot, tmp_path / "edit.e4s", (100, 100), (200, 140))
    face = window.result.face("photo")
    assert face.shape == photo.shape  # the crop's resolution, not the model's
    changed = np.any(face != photo, axis=2)
    assert changed.any() and not changed.all()
    window.raw_render_action.trigger()
    assert window.result_view_mode == "render" and window.document.result_view == "render"
    assert export(window, str(tmp_path / "raw.png"), "face")
    raw = np.asarray(Image.open(tmp_path / "raw.png"))
    assert raw.shape == photo.shape and np.any(raw != face)


def test_an_exported_photo_carries_a_hair_texture_edit(opened, qtbot, tmp_path):
    window, _, reference = opened
    window.add_references([reference])
    qtbot.waitUntil(lambda: len(window.document.references) == 1, timeout=30000)
    window.gallery.select_reference(next(iter(window.document.references)))
    window.regions.set_checked((region_id("hair"),))
    window.apply_texture(1.0)
    wait_idle(qtbot, window)
    assert export(window, str(tmp_path / "photo.png"), "photo")

    exported = np.asarray(Image.open(tmp_path / "photo.png")).astype(int)
    source = window.document.source
    original = source.photo.rgb.astype(int)
    side, (height, width) = source.aligned.image.shape[0], original.shape[:2]
    hair = cv2.resize(labels_of(window), (side, side), interpolation=cv2.INTER_NEAREST) == region_id("hair")
    in_photo = cv2.warpAffine(hair.astype(np.uint8), source.aligned.transform.crop_to_photo, (width, height))
    in_photo = cv2.erode(in_photo, np.ones((5, 5), np.uint8)) > 0
    moved = np.abs(exported - original).max(axis=2) > 0
    assert exported.shape == original.shape and in_photo.sum() > 500
    assert moved[in_photo].mean() > 0.8  # the hair of the full photo took the edit
    far = cv2.dilate(in_photo.astype(np.uint8), np.ones((61, 61), np.uint8)) == 0
    assert not moved[far].any()  # and nothing far from it changed


def test_the_swap_panel_previews_commits_one_step_and_hair_follows(opened, qtbot):
    window, _, reference = opened
    window.add_references([reference])
    qtbot.waitUntil(lambda: len(window.document.references) == 1, timeout=30000)
    ref_hash = next(iter(window.document.references))
    window.gallery.select_reference(ref_hash)
    panel = window.swapper.panel
    assert panel.swap_button.isEnabled() and "hopper" in panel.source_label.text()
    photo = window.document.source.aligned.image
    panel.amount_slider.setValue(30)  # a preview: no history step
    wait_idle(qtbot, window)
    assert window.document.history.position == 0 and np.any(window.result.face("photo") != photo)
    panel.swap_button.click()
    wait_idle(qtbot, window)
    assert window.document.history.position == 1 and window.document.history.edits[-1].kind == "swap"
    assert window.document.history.edits[-1].amount == pytest.approx(0.3)
    swapped = window.result.face("photo").copy()
    panel.hair_shape_button.click()
    wait_idle(qtbot, window)
    assert window.document.history.edits[-1].kind == "hair" and window.document.history.position == 2
    window.undo()
    window.undo()
    wait_idle(qtbot, window)
    assert np.array_equal(window.result.face("photo"), photo) and not np.array_equal(swapped, photo)
