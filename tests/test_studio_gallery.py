"""The reference gallery: a hint while empty, masks on demand, remove, re-parse, paint a mask."""

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from studio_helpers import wait_idle

from app.studio.widgets.gallery import EMPTY_HINT, ReferenceGallery, masked_thumbnail
from e4s_core.regions import region_id


def encoded(window, qtbot, reference_path) -> str:
    window.add_references([reference_path])
    qtbot.waitUntil(
        lambda: window.gallery.item_for_hash(next(iter(window.references), "")) is not None, timeout=30000
    )
    return next(iter(window.references))


def test_an_empty_gallery_says_what_to_do(qtbot):
    gallery = ReferenceGallery()
    qtbot.addWidget(gallery)
    gallery.resize(220, 300)
    gallery.show()
    image = gallery.list_widget.viewport().grab().toImage()
    background = image.pixelColor(2, 2)
    text_pixels = sum(
        image.pixelColor(x, y) != background
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )
    assert text_pixels > 50 and "Drop" in EMPTY_HINT


def icon_pixels(item) -> np.ndarray:
    image = item.icon().pixmap(96, 96).toImage().convertToFormat(QImage.Format.Format_RGB888)
    return (
        np.array(image.constBits())
        .reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()]
        .reshape(image.height(), image.width(), 3)
    )


def test_masks_show_each_references_regions_on_demand(opened, qtbot):
    window, _, reference_path = opened
    reference = window.references[encoded(window, qtbot, reference_path)]
    item = window.gallery.item(reference_path)
    assert np.array_equal(icon_pixels(item), reference.thumbnail)
    window.gallery.masks_button.click()
    masked = icon_pixels(item)
    assert np.array_equal(masked, masked_thumbnail(reference))
    hair = cv2.resize(reference.labels, (96, 96), interpolation=cv2.INTER_NEAREST) == region_id("hair")
    assert hair.sum() > 100  # the hair is tinted with the hair colour (blue)
    assert masked[hair][:, 2].mean() > reference.thumbnail[hair][:, 2].mean() + 40
    assert "Hide masks" in window.gallery.context_actions(reference_path)


def test_removing_a_reference_takes_it_out_of_the_gallery_and_the_controls(opened, qtbot):
    window, _, reference_path = opened
    reference_hash = encoded(window, qtbot, reference_path)
    window.gallery.select_reference(reference_hash)
    window.gallery.list_widget.setFocus()
    qtbot.keyClick(window.gallery.list_widget, Qt.Key.Key_Delete)
    assert window.gallery.item(reference_path) is None and window.gallery.list_widget.count() == 0
    assert reference_hash not in window.references
    assert window.gallery.selected_reference() is None and not window.tools.apply_button.isEnabled()


def test_re_parse_encodes_the_reference_again(opened, qtbot):
    window, _, reference_path = opened
    encoded(window, qtbot, reference_path)
    calls = []
    original = window.reference_actions._encode
    window.reference_actions._encode = lambda path, fresh: calls.append(fresh) or original(path, fresh)
    window.gallery.context_actions(reference_path)["Re-parse with the current parser"]()
    wait_idle(qtbot, window)
    assert calls == [True] and window.gallery.reference_at(reference_path) is not None


def test_a_painted_mask_makes_a_new_reference_that_texture_edits_use(opened, qtbot):
    window, _, reference_path = opened
    old_hash = encoded(window, qtbot, reference_path)
    window.gallery.context_actions(reference_path)["Paint its mask…"]()
    qtbot.waitUntil(lambda: window.reference_actions.mask_dialog is not None, timeout=30000)
    dialog = window.reference_actions.mask_dialog
    labels = dialog.canvas.labels.copy()
    labels[:120] = region_id("background")  # the cap is not hair
    dialog.canvas.replace(labels, "Remove the cap")
    dialog.accept()
    qtbot.waitUntil(lambda: window.gallery.selected_reference() not in (None, old_hash), timeout=30000)
    painted = window.references[window.gallery.selected_reference()]
    assert np.array_equal(painted.labels, labels) and "painted mask" in painted.name
    assert old_hash in window.document.references  # steps made with the old parse keep it
