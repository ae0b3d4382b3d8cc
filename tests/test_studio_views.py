"""The three panes: square with no letterbox, one zoom and pan, one pane large, a narrow window."""

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget
from studio_helpers import wheel

from app.studio.widgets.pane_row import best_arrangement


def panes(window):
    return (window.input_view, window.canvas_view, window.result_view)


@pytest.mark.parametrize("size", [(1024, 700), (1400, 800), (1920, 1080), (1200, 1000)])
def test_panes_are_squares_that_the_face_fills(opened, qtbot, size):
    window, _, _ = opened
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    for pane in panes(window):
        assert pane.isVisible() and abs(pane.width() - pane.height()) <= 1 and pane.width() >= 120
    for view in (window.input_view, window.result_view):
        rect = view.image_rect()
        assert rect.width() == pytest.approx(view.width(), abs=1) and rect.top() == pytest.approx(0, abs=1)


def test_arrangement_uses_the_space_it_is_given():
    wide, tall = best_arrangement(1500, 400), best_arrangement(900, 700)
    assert {r.width() for r in wide} == {400}  # three in a row
    assert tall[2].width() > 2 * tall[0].width() - 10  # the result large, the others beside it
    for rects, (width, height) in ((wide, (1500, 400)), (tall, (900, 700))):
        for rect in rects:
            assert rect.left() >= 0 and rect.top() >= 0 and rect.right() < width and rect.bottom() < height
        assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])


def test_zooming_or_panning_one_pane_moves_all_three(opened, qtbot):
    window, _, _ = opened
    mask, result = window.canvas_view, window.result_view
    before = result.image_rect()
    wheel(mask, mask.width() * 0.3, mask.height() * 0.4, 2)
    zoomed = result.image_rect()
    assert zoomed.width() > before.width() * 1.5
    # The same face point under the same place of each pane: compare in fractions of the pane.
    point = QPointF(mask.width() * 0.3, mask.height() * 0.4)
    label_x, label_y = mask.label_at(point)
    fraction = ((label_x + 0.5) / 512, (label_y + 0.5) / 512)
    in_result = (point.x() * result.width() / mask.width() - zoomed.left()) / zoomed.width()
    assert in_result == pytest.approx(fraction[0], abs=0.01)
    wheel(result, 50, 50, -1)
    assert window.input_view.image_rect() == result.image_rect()
    window.viewport.fit()
    assert result.image_rect() == before


def test_tab_shows_each_pane_large_in_turn(opened, qtbot):
    window, _, _ = opened
    window.resize(1400, 800)
    seen = []
    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Tab)
        seen.append(window.panes.shown_alone)
        visible = [pane for pane in panes(window) if pane.isVisible()]
        if window.panes.shown_alone is not None:
            assert visible == [panes(window)[window.panes.shown_alone]]
            assert visible[0].height() == pytest.approx(window.panes.height(), abs=1)
    assert seen == [0, 1, 2, None]
    assert all(pane.isVisible() for pane in panes(window))


def test_the_window_can_be_1024_wide_with_every_control_reachable(opened, qtbot):
    window, _, _ = opened
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    for control in window.findChildren(QWidget):
        if control.isVisibleTo(window) and control.metaObject().className() in (
            "QPushButton",
            "QCheckBox",
            "QSlider",
            "QToolButton",
        ):
            top_left = control.mapTo(window, control.rect().topLeft())
            bottom_right = control.mapTo(window, control.rect().bottomRight())
            inside = window.rect().contains(top_left) and window.rect().contains(bottom_right)
            assert inside and control.width() >= control.minimumSizeHint().width() - 1, (
                control.text() if hasattr(control, "text") else control
            )
