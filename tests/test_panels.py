"""The side panels behave as a user sees them: region bar, reference gallery, history strip, tools."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.studio.models.document import Reference
from app.studio.models.history import History
from app.studio.models.tools import TOOLS
from app.studio.widgets.gallery import ReferenceGallery
from app.studio.widgets.history_strip import HistoryStrip
from app.studio.widgets.region_bar import SELECTED_MARK, RegionBar, contrast_ratio, text_color
from app.studio.widgets.tool_panel import ToolPanel
from e4s_core.regions import NUM_REGIONS, REGIONS


@pytest.fixture
def add(qtbot):
    return lambda widget: qtbot.addWidget(widget) or widget  # pytest-qt closes it after the test


# -- region bar ------------------------------------------------------------------------------
def _stylesheet_colors(style: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(background, text) of a region button's normal state, read from its style sheet."""
    normal = style.split("}")[0]
    background = re.search(r"background-color: rgb\((\d+), (\d+), (\d+)\)", normal)
    text = re.search(r"[^-]color: rgb\((\d+), (\d+), (\d+)\)", normal)
    return tuple(map(int, background.groups())), tuple(map(int, text.groups()))


def test_region_buttons_show_the_region_table(add):
    bar = add(RegionBar())
    for region in REGIONS:
        button = bar.button(region.id)
        assert region.label in button.text()
        assert button.toolTip() == f"{region.label} ({region.shortcut})"
        assert _stylesheet_colors(button.styleSheet())[0] == region.color
    assert [bar.check_box(r.id).text() for r in REGIONS] == [r.label for r in REGIONS]


def test_every_region_button_text_meets_the_contrast_ratio(add):
    bar = add(RegionBar())
    for region in REGIONS:
        background, text = _stylesheet_colors(bar.button(region.id).styleSheet())
        assert contrast_ratio(background, text) >= 4.5, region.label
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((255, 0, 0), (255, 255, 255)) == pytest.approx(4.0, abs=0.01)  # WCAG's own example
    assert text_color((255, 0, 0)) == (0, 0, 0)  # so red takes black text (5.25:1)


def test_the_selected_region_says_so_in_its_text(add):
    bar = add(RegionBar())
    bar.set_active(REGIONS[4].id)
    marked = [r.label for r in REGIONS if bar.button(r.id).text().startswith(SELECTED_MARK)]
    assert marked == [REGIONS[4].label]


def test_clicking_a_region_button_makes_it_the_paint_label(add, qtbot):
    bar = add(RegionBar())
    hair = REGIONS[4]
    with qtbot.waitSignal(bar.active_changed) as signal:
        qtbot.mouseClick(bar.button(hair.id), Qt.MouseButton.LeftButton)
    assert signal.args == [hair.id] and bar.active() == hair.id
    assert [bar.button(r.id).isChecked() for r in REGIONS].count(True) == 1
    with qtbot.waitSignal(bar.active_changed, check_params_cb=lambda region_id: region_id == 6):
        bar.set_active(6)


def test_all_checks_every_region_and_unchecking_one_makes_it_partial(add, qtbot):
    bar = add(RegionBar())
    with qtbot.waitSignal(bar.checked_changed) as signal:
        bar.all_box.click()
    assert signal.args == [tuple(range(NUM_REGIONS))] and bar.all_box.checkState() == Qt.CheckState.Checked
    with qtbot.waitSignal(bar.checked_changed) as signal:
        bar.check_box(4).click()
    assert 4 not in signal.args[0] and len(signal.args[0]) == NUM_REGIONS - 1
    assert bar.all_box.checkState() == Qt.CheckState.PartiallyChecked
    bar.all_box.click()  # from partial, All checks everything again
    assert bar.checked_regions() == tuple(range(NUM_REGIONS))
    bar.all_box.click()
    assert bar.checked_regions() == () and bar.all_box.checkState() == Qt.CheckState.Unchecked
    bar.set_checked([1, 4])
    assert bar.checked_regions() == (1, 4) and bar.all_box.checkState() == Qt.CheckState.PartiallyChecked


# -- gallery ---------------------------------------------------------------------------------
def _reference(hash_: str, name: str) -> Reference:
    return Reference(hash_, name, np.full((96, 96, 3), 200, np.uint8), np.zeros((8, 8), np.uint8), None, None)


def _drop(widget, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions, buttons, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    enter = QDragEnterEvent(QPoint(5, 5), actions, mime, buttons, mods)
    drop = QDropEvent(QPointF(5, 5), actions, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted() and drop.isAccepted()


def test_dropping_a_folder_requests_its_image_files(add, qtbot, tmp_path):
    gallery = add(ReferenceGallery())
    for name in ("b.png", "a.PNG", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert not gallery.list_widget.viewport().acceptDrops()  # so Qt hands drops on it to the gallery
    with qtbot.waitSignal(gallery.files_requested) as signal:
        assert _drop(gallery, [tmp_path])
    assert signal.args == [[str(tmp_path / "a.PNG"), str(tmp_path / "b.png")]]
    with qtbot.assertNotEmitted(gallery.files_requested):
        assert not _drop(gallery, [tmp_path / "notes.txt"])  # nothing to encode: drop refused


def test_gallery_items_go_from_pending_to_reference_or_failed(add):
    gallery = add(ReferenceGallery())
    gallery.add_pending("/faces/ann.jpg")
    gallery.add_pending("/faces/bob.jpg")
    assert gallery.list_widget.count() == 2
    pending = gallery.item("/faces/ann.jpg")
    assert "Encoding" in pending.text() and not pending.flags() & Qt.ItemFlag.ItemIsSelectable
    gallery.set_reference("/faces/ann.jpg", _reference("aaaa", "ann.jpg"))
    item = gallery.item("/faces/ann.jpg")
    assert item.text() == "ann.jpg" and "ann.jpg" in item.toolTip()
    assert not item.icon().isNull() and item.flags() & Qt.ItemFlag.ItemIsSelectable
    gallery.set_failed("/faces/bob.jpg", "No face found in bob.jpg")
    failed = gallery.item("/faces/bob.jpg")
    assert "No face found in bob.jpg" in failed.toolTip() and not failed.icon().isNull()
    assert not failed.flags() & Qt.ItemFlag.ItemIsSelectable


def test_the_same_face_under_two_file_names_appears_once(add):
    gallery = add(ReferenceGallery())
    gallery.add_pending("/faces/ann.jpg")
    gallery.add_pending("/copies/ann copy.jpg")
    gallery.set_reference("/faces/ann.jpg", _reference("aaaa", "ann.jpg"))
    gallery.set_reference("/copies/ann copy.jpg", _reference("aaaa", "ann copy.jpg"))
    assert gallery.list_widget.count() == 1 and gallery.item("/copies/ann copy.jpg") is None


def test_selecting_a_reference_emits_its_hash(add, qtbot):
    gallery = add(ReferenceGallery())
    gallery.set_reference("/faces/ann.jpg", _reference("aaaa", "ann.jpg"))
    gallery.set_reference("/faces/bob.jpg", _reference("bbbb", "bob.jpg"))
    assert gallery.selected_reference() is None
    with qtbot.waitSignal(gallery.reference_selected) as signal:
        gallery.list_widget.setCurrentItem(gallery.item("/faces/bob.jpg"))
    assert signal.args == ["bbbb"] and gallery.selected_reference() == "bbbb"
    with qtbot.waitSignal(gallery.reference_selected) as signal:
        gallery.select_reference(None)
    assert signal.args == [None]


# -- history strip ---------------------------------------------------------------------------
def _command(label: str) -> SimpleNamespace:
    return SimpleNamespace(label=label, undo=lambda: None, redo=lambda: None)


LABELS = ("Brush: Hair", "Fill: Skin", "Texture 100% from ann.jpg: Hair")


def _history(position: int) -> History:
    history = History()
    for label in LABELS:
        history.push(_command(label))
    history.go_to(position)
    return history


def test_history_strip_shows_original_then_every_step(add):
    strip = add(HistoryStrip())
    strip.refresh(_history(2))
    items = [strip.list_widget.item(i) for i in range(strip.list_widget.count())]
    assert [item.text() for item in items] == ["Original", *LABELS]
    assert items[2].font().bold() and not items[1].font().bold()  # current position
    assert strip.is_undone(3) and not strip.is_undone(2) and items[3].font().italic()


def test_clicking_a_history_step_asks_to_go_to_its_position(add, qtbot):
    strip = add(HistoryStrip())
    strip.refresh(_history(2))
    strip.show()
    qtbot.waitExposed(strip)
    view = strip.list_widget
    for row in (0, 3):
        center = view.visualItemRect(view.item(row)).center()
        with qtbot.waitSignal(strip.step_clicked) as signal:
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
        assert signal.args == [row]


def test_history_thumbnails_survive_refresh_but_not_replaced_steps(add):
    strip = add(HistoryStrip())
    history = _history(2)
    strip.refresh(history)
    strip.set_thumbnail(-1, np.zeros((64, 64, 3), np.uint8))  # the original
    strip.set_thumbnail(2, np.zeros((64, 64, 3), np.uint8))  # after the undone third command
    strip.refresh(history)
    assert strip.has_thumbnail(-1) and strip.has_thumbnail(2) and not strip.has_thumbnail(0)
    history.push(_command("Brush: Nose"))  # replaces the undone step 3
    strip.refresh(history)
    assert strip.list_widget.item(3).text() == "Brush: Nose"
    assert not strip.has_thumbnail(2) and strip.has_thumbnail(-1)
    with pytest.raises(IndexError):
        strip.set_thumbnail(9, np.zeros((8, 8, 3), np.uint8))


# -- tool panel ------------------------------------------------------------------------------
def test_tool_buttons_are_exclusive_and_name_their_shortcut(add, qtbot):
    panel = add(ToolPanel())
    assert panel.tool() == "brush"
    for tool in TOOLS:
        assert f"({tool.shortcut})" in panel.tool_button(tool.name).toolTip()
    with qtbot.waitSignal(panel.tool_changed) as signal:
        qtbot.mouseClick(panel.tool_button("fill"), Qt.MouseButton.LeftButton)
    assert signal.args == ["fill"] and not panel.tool_button("brush").isChecked()
    with qtbot.waitSignal(panel.tool_changed) as signal:
        panel.set_tool("eyedropper")
    assert signal.args == ["eyedropper"]
    with pytest.raises(ValueError):
        panel.set_tool("lasso")


def test_mask_controls_emit_their_values(add, qtbot):
    panel = add(ToolPanel())
    with qtbot.waitSignal(panel.brush_size_changed) as signal:
        panel.set_brush_size(40)
    assert signal.args == [40] and panel.brush_size() == 40
    panel.set_brush_size(1000)  # clamped to the slider's range
    assert panel.brush_size() == 100
    with qtbot.waitSignal(panel.opacity_changed) as signal:
        panel.opacity_slider.setValue(25)
    assert signal.args == [pytest.approx(0.25)]
    with qtbot.waitSignal(panel.preserve_changed) as signal:
        panel.preserve_box.click()
    assert signal.args == [True]


def test_undo_redo_and_apply_buttons_follow_their_state(add, qtbot):
    panel = add(ToolPanel())
    assert not panel.undo_button.isEnabled() and not panel.redo_button.isEnabled()
    panel.set_undo_state(True, False)
    assert panel.undo_button.isEnabled() and not panel.redo_button.isEnabled()
    with qtbot.waitSignal(panel.undo_requested):
        panel.undo_button.click()
    panel.set_undo_state(True, True)
    with qtbot.waitSignal(panel.redo_requested):
        panel.redo_button.click()
    assert "Undo" in panel.undo_button.toolTip() and not panel.apply_button.isEnabled()
    panel.set_texture_enabled(True)
    panel.set_apply_enabled(True)
    with qtbot.waitSignal(panel.apply_texture_requested):
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)


def test_alpha_slider_only_previews_whatever_moves_it(add, qtbot):
    panel = add(ToolPanel())
    panel.set_texture_enabled(True)
    requests = []
    panel.apply_texture_requested.connect(lambda: requests.append(True))
    panel.alpha_slider.setSliderDown(True)  # as while the user drags the handle
    with qtbot.waitSignal(panel.alpha_changed) as changed:
        panel.alpha_slider.setValue(30)
    assert changed.args == [pytest.approx(0.3)]
    panel.alpha_slider.setSliderDown(False)  # letting go
    with qtbot.waitSignal(panel.alpha_changed) as changed:  # keys preview too
        qtbot.keyClick(panel.alpha_slider, Qt.Key.Key_PageUp)
    assert changed.args == [pytest.approx(0.4)]
    assert requests == []  # only Apply commits
    assert not panel.apply_button.isEnabled()
    panel.set_apply_enabled(True)
    assert panel.apply_button.isEnabled() and "Enter" in panel.apply_button.toolTip()
