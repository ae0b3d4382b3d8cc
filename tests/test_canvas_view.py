"""Mask canvas and image pane widgets, driven by real mouse and wheel events (offscreen Qt)."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from studio_helpers import wheel

from app.studio.models.canvas import LabelCanvas
from app.studio.models.viewport import ZOOM_RANGE
from app.studio.widgets.canvas_view import MaskCanvasView
from app.studio.widgets.image_view import ImageView
from e4s_core.regions import PALETTE, region_id

SIZE, VIEW = 64, 256  # a 64 px label map fitted into 256 px: 4 screen px per label px
LEFT, MIDDLE, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
HAIR, SKIN = region_id("hair"), region_id("skin")


def send_mouse(widget: QWidget, kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton, held) -> None:
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(kind, pos, global_pos, button, held, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget: QWidget, points: list[tuple[float, float]], button=LEFT) -> None:
    """Press at the first point, move through the rest with the button held, release at the last."""
    pts = [QPointF(x, y) for x, y in points]
    send_mouse(widget, QEvent.Type.MouseButtonPress, pts[0], button, button)
    for p in pts[1:]:
        send_mouse(widget, QEvent.Type.MouseMove, p, NONE, button)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, pts[-1], button, NONE)


def click(widget: QWidget, x: float, y: float) -> None:
    drag(widget, [(x, y)])


def screen(col: float, row: float) -> tuple[float, float]:
    """Centre of label pixel (col, row) in widget coordinates at the fitted 4x zoom."""
    return (col + 0.5) * 4, (row + 0.5) * 4


@pytest.fixture
def setup(qtbot):
    canvas = LabelCanvas(np.zeros((SIZE, SIZE), np.uint8))
    view = MaskCanvasView()
    qtbot.addWidget(view)
    view.resize(VIEW, VIEW)
    view.set_canvas(canvas)
    view.show()
    qtbot.waitExposed(view)
    return view, canvas


def recorded(signal) -> list:
    seen: list = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def test_fit_maps_widget_pixels_to_label_pixels(setup):
    view, _ = setup
    assert view.zoom == pytest.approx(VIEW / SIZE)
    assert view.label_at(QPointF(*screen(10, 20))) == pytest.approx((10, 20))


def test_brush_drag_paints_the_path_as_one_undo_step(setup):
    view, canvas = setup
    canvas.brush_radius, canvas.active_label = 2, HAIR
    edited, moved = recorded(view.edited), recorded(view.stroke_moved)
    cols = [10, 21, 32, 43, 53]
    drag(view, [screen(c, 32) for c in cols])

    # The same stroke driven straight through the model at the mapped label coordinates.
    expected = LabelCanvas(np.zeros((SIZE, SIZE), np.uint8))
    expected.brush_radius, expected.active_label = 2, HAIR
    expected.begin_stroke(cols[0], 32)
    for c in cols[1:]:
        expected.stroke_to(c, 32)
    expected.end_stroke()
    np.testing.assert_array_equal(canvas.labels, expected.labels)

    painted = canvas.labels == HAIR
    assert painted[30:35, 10:54].all()  # the band of radius 2 around row 32
    rows, cols_hit = np.nonzero(painted)
    assert rows.min() == 30 and rows.max() == 34 and cols_hit.min() == 8 and cols_hit.max() == 55
    assert canvas.history.position == 1 and len(edited) == 1
    assert 1 <= len(moved) < len(cols)  # previews are rate-limited, not one per mouse event


def test_stroke_preview_catches_up_while_the_button_is_held(qtbot, setup):
    view, _ = setup
    moved = recorded(view.stroke_moved)
    send_mouse(view, QEvent.Type.MouseButtonPress, QPointF(*screen(10, 10)), LEFT, LEFT)
    for col in range(11, 30):
        send_mouse(view, QEvent.Type.MouseMove, QPointF(*screen(col, 10)), NONE, LEFT)
    assert len(moved) == 1  # the press; the burst of moves waits for the ~30 ms slot
    qtbot.waitUntil(lambda: len(moved) == 2, timeout=1000)  # then one preview carries them all
    send_mouse(view, QEvent.Type.MouseButtonRelease, QPointF(*screen(29, 10)), LEFT, NONE)
    qtbot.wait(60)
    assert len(moved) == 2  # nothing after release: edited() takes over


def test_eraser_restores_the_parsed_labels(setup):
    view, canvas = setup
    canvas.brush_radius = 3
    drag(view, [screen(20, 20), screen(40, 20)])
    view.set_tool("eraser")
    drag(view, [screen(15, 20), screen(45, 20)])
    assert (canvas.labels == 0).all() and canvas.history.position == 2


def test_fill_changes_only_the_clicked_region(qtbot, setup):
    view, canvas = setup
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[10:20, 10:20] = HAIR
    canvas.replace(labels)
    canvas.active_label = SKIN
    view.set_tool("fill")
    with qtbot.waitSignal(view.edited, timeout=1000):
        click(view, *screen(15, 15))
    expected = labels.copy()
    expected[10:20, 10:20] = SKIN
    np.testing.assert_array_equal(canvas.labels, expected)


def test_eyedropper_reports_the_label_under_the_cursor(qtbot, setup):
    view, canvas = setup
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[40, 20] = region_id("nose")
    canvas.replace(labels)
    view.set_tool("eyedropper")
    with qtbot.waitSignal(view.label_picked, timeout=1000) as picked:
        click(view, *screen(20, 40))
    assert picked.args == [region_id("nose")] and canvas.active_label == region_id("nose")


def test_rectangle_drag_fills_the_box_on_release(setup):
    view, canvas = setup
    canvas.active_label = HAIR
    view.set_tool("rectangle")
    start, mid, end = screen(5, 6), screen(12, 15), screen(20, 30)
    send_mouse(view, QEvent.Type.MouseButtonPress, QPointF(*start), LEFT, LEFT)
    send_mouse(view, QEvent.Type.MouseMove, QPointF(*mid), NONE, LEFT)
    send_mouse(view, QEvent.Type.MouseMove, QPointF(*end), NONE, LEFT)
    assert (canvas.labels == 0).all()  # only a rubber band while dragging
    band = view.grab().toImage()
    right_edge = [band.pixelColor(21 * 4, y) for y in range(6 * 4, 31 * 4)]  # label col 21 starts
    assert any(c != QColor(0, 0, 0) for c in right_edge)  # the rubber band's dashes
    send_mouse(view, QEvent.Type.MouseButtonRelease, QPointF(*end), LEFT, NONE)
    expected = np.zeros((SIZE, SIZE), np.uint8)
    expected[6:31, 5:21] = HAIR
    np.testing.assert_array_equal(canvas.labels, expected)
    assert canvas.history.position == 1


def test_wheel_zooms_around_the_cursor_and_fit_restores(setup):
    view, _ = setup
    cursor = QPointF(100, 60)
    before = view.label_at(cursor)
    wheel(view, cursor.x(), cursor.y(), 1)
    assert view.zoom > VIEW / SIZE
    assert view.label_at(cursor) == pytest.approx(before, abs=1)
    wheel(view, cursor.x(), cursor.y(), 30)
    assert view.zoom == pytest.approx(ZOOM_RANGE[1] * VIEW / SIZE)  # clamped
    assert view.label_at(cursor) == pytest.approx(before, abs=1)
    view.fit()
    assert view.zoom == pytest.approx(VIEW / SIZE)
    assert view.label_at(QPointF(*screen(10, 20))) == pytest.approx((10, 20))


def test_middle_drag_pans_and_painting_follows_the_view(setup):
    view, canvas = setup
    drag(view, [(100, 100), (120, 100)], button=MIDDLE)  # 20 screen px = 5 label px to the right
    assert view.label_at(QPointF(*screen(30, 30))) == pytest.approx((25, 30))
    canvas.brush_radius = 0
    click(view, *screen(30, 30))
    assert canvas.labels[30, 25] == canvas.active_label and canvas.labels.sum() == canvas.active_label


def test_overlay_tracks_edits_and_undo(setup):
    view, canvas = setup
    canvas.brush_radius, canvas.active_label = 1, HAIR
    drag(view, [screen(30, 30)])
    overlay = view.overlay_image()
    assert overlay.pixelColor(30, 30) == QColor(*PALETTE[HAIR])
    assert overlay.pixelColor(5, 5) == QColor(*PALETTE[0])
    shown = view.grab().toImage()  # no photo: the label colours are drawn opaque
    assert shown.pixelColor(*map(int, screen(30, 30))) == QColor(*PALETTE[HAIR])
    canvas.history.undo()
    assert view.overlay_image().pixelColor(30, 30) == QColor(*PALETTE[0])


def test_overlay_blends_over_the_photo(setup):
    view, canvas = setup
    view.set_photo(np.full((128, 128, 3), 200, np.uint8))  # any size: stretched over the map
    view.set_overlay_opacity(0.5)
    pixel = view.grab().toImage().pixelColor(*map(int, screen(30, 30)))
    assert abs(pixel.red() - 100) <= 3  # half black background over grey 200
    view.set_overlay_opacity(0.0)
    assert view.grab().toImage().pixelColor(*map(int, screen(30, 30))) == QColor(200, 200, 200)


def flat(color: tuple[int, int, int], h: int = 32, w: int = 64) -> np.ndarray:
    return np.broadcast_to(np.array(color, np.uint8), (h, w, 3)).copy()


@pytest.fixture
def image_view(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.set_image(flat((255, 0, 0)))
    view.show()
    qtbot.waitExposed(view)
    return view


def test_image_view_fits_keeping_aspect_and_compares(image_view):
    grab = image_view.grab().toImage()
    assert grab.pixelColor(100, 100) == QColor(255, 0, 0)
    assert grab.pixelColor(100, 20) != QColor(255, 0, 0)  # 2:1 image: letterboxed above and below
    image_view.set_compare(flat((0, 255, 0)), None)  # hold-Space compare shows the other image
    assert image_view.grab().toImage().pixelColor(100, 100) == QColor(0, 255, 0)
    image_view.set_compare(None, None)
    assert image_view.grab().toImage().pixelColor(100, 100) == QColor(255, 0, 0)


def test_image_view_split_shows_other_left_and_drags(image_view):
    image_view.set_compare(flat((0, 255, 0)), 0.5)
    grab = image_view.grab().toImage()
    assert grab.pixelColor(50, 100) == QColor(0, 255, 0) and grab.pixelColor(150, 80) == QColor(255, 0, 0)
    seen = recorded(image_view.split_changed)
    drag(image_view, [(100, 100), (160, 100)])
    assert image_view.split == pytest.approx(0.8) and seen[-1][0] == pytest.approx(0.8)
    assert image_view.grab().toImage().pixelColor(140, 80) == QColor(0, 255, 0)


def test_image_view_busy_veil_and_placeholder(image_view):
    image_view.set_busy(True)
    veiled = image_view.grab().toImage().pixelColor(20, 100)
    assert 100 < veiled.red() < 255 and veiled.green() == 0
    image_view.set_image(None)
    image_view.set_placeholder("Open a photo")
    assert not image_view.grab().toImage().isNull()


def test_a_deleted_view_stops_listening_to_its_canvas(qtbot):
    import shiboken6

    parent = QWidget()
    view = MaskCanvasView(parent)  # this Python object outlives the Qt widget below
    canvas = LabelCanvas(np.zeros((SIZE, SIZE), np.uint8))
    view.set_canvas(canvas)
    assert len(canvas.changed) == 1
    shiboken6.delete(parent)
    assert not shiboken6.isValid(view) and len(canvas.changed) == 0
    canvas.active_label = HAIR
    assert canvas.fill(1, 1) is not None  # painting the model reaches no deleted widget


def test_switching_canvases_stops_listening_to_the_old_one(qtbot):
    view = MaskCanvasView()
    qtbot.addWidget(view)
    old, new = (LabelCanvas(np.zeros((SIZE, SIZE), np.uint8)) for _ in range(2))
    view.set_canvas(old)
    view.set_canvas(new)
    assert (len(old.changed), len(new.changed)) == (0, 1)
