"""The label canvas model: brush, eraser, fill, rectangle, eyedropper, replace, and their undo.

Expected results are computed independently of ``app.studio.models.canvas``: brush footprints from the
exact distance of each pixel centre to the stroke segment, fills from ``scipy.ndimage.label``
(4-connected components), and undo/redo from a stack of full-map snapshots kept by the tests.
"""

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from scipy import ndimage

from app.studio.models.canvas import LabelCanvas, LabelDelta
from app.studio.models.history import History
from e4s_core.regions import NUM_REGIONS, region_id

BACKGROUND = region_id("background")
HAIR = region_id("hair")
SKIN = region_id("skin")
NOSE = region_id("nose")
LIPS = region_id("lip")


# -- independent oracles ---------------------------------------------------------------------------
def segment_distance(shape: tuple[int, int], p0: tuple[int, int], p1: tuple[int, int]) -> np.ndarray:
    """Distance of every pixel centre (x = column, y = row) to the segment p0-p1; float [H, W]."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float)
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = float(x1 - x0), float(y1 - y0)
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else np.clip(((cols - x0) * dx + (rows - y0) * dy) / length2, 0.0, 1.0)
    return np.hypot(cols - x0 - t * dx, rows - y0 - t * dy)


def polyline_distance(shape: tuple[int, int], points: list[tuple[int, int]]) -> np.ndarray:
    """Distance to a stroke through ``points`` (a single point = a dot); float [H, W]."""
    pairs = list(zip(points, points[1:], strict=False)) or [(points[0], points[0])]
    return np.min([segment_distance(shape, a, b) for a, b in pairs], axis=0)


def voronoi_map(size: int, seed: int, regions: int = 5) -> np.ndarray:
    """A face-parse-like map: a few blobs of random labels; uint8 [size, size]."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size, (regions, 2))
    labels = rng.integers(0, NUM_REGIONS, regions)
    rows, cols = np.mgrid[0:size, 0:size]
    dist = (rows[None] - centres[:, 0, None, None]) ** 2 + (cols[None] - centres[:, 1, None, None]) ** 2
    return labels[np.argmin(dist, axis=0)].astype(np.uint8)  # [size, size]


def boxes_cover(boxes: list, shape: tuple[int, int]) -> np.ndarray:
    """Union of listener boxes (None = the whole map) as a bool mask [H, W]."""
    covered = np.zeros(shape, bool)
    for box in boxes:
        if box is None:
            covered[:] = True
        else:
            top, left, bottom, right = box
            covered[top:bottom, left:right] = True
    return covered


def stroke(canvas: LabelCanvas, points: list[tuple[float, float]], erase: bool = False) -> LabelDelta | None:
    """One user gesture: press at the first point, drag through the rest, release."""
    canvas.begin_stroke(*points[0], erase=erase)
    for point in points[1:]:
        canvas.stroke_to(*point)
    return canvas.end_stroke()


def assert_delta_matches(delta: LabelDelta, before: np.ndarray, after: np.ndarray) -> None:
    """The delta records exactly the pixels that differ, with their old and new values."""
    differs = before != after
    top, left, bottom, right = delta.box
    assert differs[top:bottom, left:right].sum() == differs.sum(), "changed pixel outside the delta box"
    np.testing.assert_array_equal(delta.changed, differs[top:bottom, left:right])
    np.testing.assert_array_equal(delta.old, before[top:bottom, left:right][delta.changed])
    np.testing.assert_array_equal(delta.new, after[top:bottom, left:right][delta.changed])


# -- brush -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("radius", "p0", "p1"),
    [
        (1, (20, 20), (45, 31)),
        (3, (10, 50), (50, 14)),
        (5, (12, 12), (52, 12)),
        (5, (20, 20), (45, 31)),
        (8, (32, 5), (32, 58)),
        (6, (-4, 30), (20, 66)),  # runs off two edges of the map
    ],
)
def test_brush_stroke_changes_exactly_the_pixels_under_the_brush(radius, p0, p1):
    start = voronoi_map(64, seed=1)
    canvas = LabelCanvas(np.where(start == HAIR, SKIN, start).astype(np.uint8))
    before = canvas.labels.copy()
    canvas.brush_radius, canvas.active_label = radius, HAIR

    delta = stroke(canvas, [p0, p1])

    changed = canvas.labels != before
    dist = segment_distance(before.shape, p0, p1)
    assert (canvas.labels[dist <= radius - 1] == HAIR).all(), "pixel well inside the brush not painted"
    outside = changed & (dist > radius + 1)
    assert not outside.any(), (
        f"{outside.sum()} pixels painted farther than radius + 1 from the stroke "
        f"(up to {dist[changed].max() - radius:.2f} px beyond radius {radius})"
    )
    assert (canvas.labels[changed] == HAIR).all()
    assert_delta_matches(delta, before, canvas.labels)


def test_click_without_movement_paints_a_dot():
    canvas = LabelCanvas(np.zeros((64, 64), np.uint8))
    canvas.brush_radius, canvas.active_label = 6, HAIR

    canvas.begin_stroke(30, 25)
    delta = canvas.end_stroke()

    dist = segment_distance((64, 64), (30, 25), (30, 25))
    painted = canvas.labels == HAIR
    assert delta is not None and canvas.history.position == 1
    assert painted[dist <= 5].all()
    assert not painted[dist > 7].any()


def test_undo_restores_the_map_exactly_and_redo_reapplies_it():
    canvas = LabelCanvas(voronoi_map(64, seed=2))
    original = canvas.labels.copy()
    canvas.brush_radius, canvas.active_label = 7, LIPS

    stroke(canvas, [(5, 60), (30, 30), (60, 40)])
    painted = canvas.labels.copy()
    assert not np.array_equal(painted, original)

    assert canvas.history.undo()
    np.testing.assert_array_equal(canvas.labels, original)
    assert canvas.history.redo()
    np.testing.assert_array_equal(canvas.labels, painted)


def test_new_edit_after_undo_clears_redo():
    canvas = LabelCanvas(np.zeros((48, 48), np.uint8))
    canvas.active_label = HAIR
    stroke(canvas, [(10, 10), (30, 10)])
    stroke(canvas, [(10, 30), (30, 30)])
    canvas.history.undo()
    assert canvas.history.can_redo

    canvas.active_label = NOSE
    stroke(canvas, [(40, 40)])

    assert not canvas.history.can_redo
    assert not canvas.history.redo()
    assert canvas.history.position == 2
    assert (canvas.labels[30, 10:31] == BACKGROUND).all(), "undone stroke came back"


def test_one_stroke_with_many_moves_is_one_history_step():
    canvas = LabelCanvas(np.zeros((64, 64), np.uint8))
    notified = []
    canvas.history.changed.connect(lambda: notified.append(canvas.history.position))
    canvas.brush_radius, canvas.active_label = 3, HAIR
    original = canvas.labels.copy()

    angles = np.linspace(0, 4 * np.pi, 60)
    stroke(canvas, [(32 + 20 * np.cos(a), 32 + 20 * np.sin(a)) for a in angles])

    assert canvas.history.position == 1
    assert len(canvas.history.edits) == 1
    assert canvas.history.edits[0].label == "Brush: Hair"
    assert notified == [1], "history should change once, when the stroke ends"
    canvas.history.undo()
    np.testing.assert_array_equal(canvas.labels, original)


def test_stroke_delta_is_small_on_a_512_map():
    canvas = LabelCanvas(np.zeros((512, 512), np.uint8))
    canvas.brush_radius, canvas.active_label = 8, HAIR

    delta = stroke(canvas, [(200, 200), (230, 210), (260, 215)])

    assert delta is not None
    assert delta.changed.size < 512 * 512 // 50, "the delta should hold the stroke's box, not the map"
    assert delta.old.size == delta.new.size == int(delta.changed.sum())
    assert delta.old.size < 2000


def test_stroke_entirely_outside_the_map_is_not_a_history_step():
    canvas = LabelCanvas(np.zeros((48, 48), np.uint8))
    canvas.brush_radius, canvas.active_label = 4, HAIR

    assert stroke(canvas, [(-30, -30), (-20, -40)]) is None

    assert canvas.history.position == 0
    assert (canvas.labels == BACKGROUND).all()


# -- eraser ----------------------------------------------------------------------------------------
def test_eraser_restores_parsed_labels_under_the_brush():
    parsed = voronoi_map(64, seed=3)
    parsed[parsed == HAIR] = SKIN
    canvas = LabelCanvas(parsed, parsed=parsed)
    canvas.brush_radius, canvas.active_label = 10, HAIR
    paint_points = [(5, 32), (60, 32)]
    stroke(canvas, paint_points)
    painted = canvas.labels.copy()

    erase_points = [(25, 32), (40, 32)]
    canvas.brush_radius = 5
    delta = stroke(canvas, erase_points, erase=True)

    erase_dist = polyline_distance(parsed.shape, erase_points)
    erased = canvas.labels != painted
    assert (canvas.labels[erase_dist <= 4] == parsed[erase_dist <= 4]).all()
    assert (canvas.labels[erased] == parsed[erased]).all(), "eraser wrote something other than parsed"
    keep = (painted == HAIR) & (erase_dist > 6)
    assert keep.sum() > 500
    assert (canvas.labels[keep] == HAIR).all(), "paint outside the eraser was lost"
    assert canvas.history.edits[-1].label == "Eraser"
    assert_delta_matches(delta, painted, canvas.labels)

    canvas.history.undo()
    np.testing.assert_array_equal(canvas.labels, painted)


# -- fill ------------------------------------------------------------------------------------------
def walled_map() -> np.ndarray:
    """Two background areas separated by a vertical wall of skin; uint8 [40, 40]."""
    labels = np.zeros((40, 40), np.uint8)
    labels[:, 18:21] = SKIN
    return labels


def test_fill_stops_at_region_border():
    canvas = LabelCanvas(walled_map())
    canvas.active_label = HAIR

    delta = canvas.fill(5, 20)

    expected = walled_map()
    expected[:, :18] = HAIR
    np.testing.assert_array_equal(canvas.labels, expected)
    assert delta is not None and delta.box == (0, 0, 40, 18)
    assert canvas.history.position == 1
    assert canvas.history.edits[0].label == "Fill: Hair"


def test_fill_on_a_pixel_with_the_active_label_is_not_a_history_step():
    canvas = LabelCanvas(walled_map())
    canvas.active_label = SKIN

    assert canvas.fill(19, 5) is None

    np.testing.assert_array_equal(canvas.labels, walled_map())
    assert canvas.history.position == 0


def test_fill_does_not_join_diagonally_touching_regions():
    labels = np.full((8, 8), SKIN, np.uint8)
    labels[:4, :4] = BACKGROUND
    labels[4:, 4:] = BACKGROUND  # touches the first block only at the corner (3, 3)-(4, 4)
    canvas = LabelCanvas(labels)
    canvas.active_label = HAIR

    canvas.fill(1, 1)

    assert (canvas.labels[:4, :4] == HAIR).all()
    assert (canvas.labels[4:, 4:] == BACKGROUND).all(), "fill leaked through a diagonal"
    assert (canvas.labels[labels == SKIN] == SKIN).all()


def test_fill_outside_the_map_is_a_no_op():
    canvas = LabelCanvas(walled_map())
    canvas.active_label = HAIR

    assert canvas.fill(-1, 5) is None
    assert canvas.fill(5, 40) is None

    np.testing.assert_array_equal(canvas.labels, walled_map())
    assert canvas.history.position == 0


# -- rectangle -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("corners", "rows", "cols"),
    [
        ((5, 8, 20, 30), slice(8, 31), slice(5, 21)),
        ((20, 30, 5, 8), slice(8, 31), slice(5, 21)),  # dragged up-left
        ((20, 8, 5, 30), slice(8, 31), slice(5, 21)),  # dragged down-left
        ((-10, 40, 12, 100), slice(40, 48), slice(0, 13)),  # clipped at the left and bottom edges
        ((7, 7, 7, 7), slice(7, 8), slice(7, 8)),  # a click paints one pixel
    ],
)
def test_rectangle_fills_the_clipped_rectangle_whatever_the_corner_order(corners, rows, cols):
    start = voronoi_map(48, seed=4)
    start[start == NOSE] = SKIN
    canvas = LabelCanvas(start)
    canvas.active_label = NOSE

    delta = canvas.rectangle(*corners)

    expected = start.copy()
    expected[rows, cols] = NOSE
    np.testing.assert_array_equal(canvas.labels, expected)
    assert_delta_matches(delta, start, canvas.labels)
    assert canvas.history.edits[-1].label == "Rectangle: Nose"


@pytest.mark.parametrize("corners", [(-20, 5, -1, 30), (5, 48, 30, 90), (48, 48, 60, 60), (-9, -9, -2, -2)])
def test_rectangle_outside_the_map_is_a_no_op(corners):
    canvas = LabelCanvas(voronoi_map(48, seed=5))
    before = canvas.labels.copy()

    assert canvas.rectangle(*corners) is None

    np.testing.assert_array_equal(canvas.labels, before)
    assert canvas.history.position == 0


# -- protect others --------------------------------------------------------------------------------
def striped_map() -> np.ndarray:
    """Vertical stripes of background, skin, hair, lips, background; uint8 [48, 48]."""
    labels = np.zeros((48, 48), np.uint8)
    labels[:, 10:20], labels[:, 20:28], labels[:, 28:36] = SKIN, HAIR, LIPS
    return labels


def test_protected_brush_changes_only_background_and_active_label_pixels():
    start = striped_map()
    canvas = LabelCanvas(start)
    canvas.protect_others, canvas.brush_radius, canvas.active_label = True, 9, HAIR

    stroke(canvas, [(2, 24), (46, 24)])

    dist = segment_distance(start.shape, (2, 24), (46, 24))
    protected = (start != BACKGROUND) & (start != HAIR)
    np.testing.assert_array_equal(canvas.labels[protected], start[protected])
    under = (dist <= 8) & (start == BACKGROUND)
    assert under.sum() > 100 and (canvas.labels[under] == HAIR).all()


def test_protected_brush_paints_over_the_chosen_region():
    start = striped_map()
    canvas = LabelCanvas(start)
    canvas.protect_others, canvas.paint_over = True, SKIN
    canvas.brush_radius, canvas.active_label = 9, HAIR

    stroke(canvas, [(2, 24), (46, 24)])

    dist = segment_distance(start.shape, (2, 24), (46, 24))
    protected = (start != SKIN) & (start != HAIR)
    np.testing.assert_array_equal(canvas.labels[protected], start[protected])
    assert (canvas.labels[(dist <= 8) & (start == SKIN)] == HAIR).all()


def test_protected_fill_on_another_region_does_nothing():
    canvas = LabelCanvas(striped_map())
    canvas.protect_others, canvas.active_label = True, HAIR

    assert canvas.fill(15, 20) is None  # skin is protected

    np.testing.assert_array_equal(canvas.labels, striped_map())
    assert canvas.history.position == 0
    assert canvas.fill(3, 3) is not None  # background may be painted over
    assert (canvas.labels[:, :10] == HAIR).all()


def test_protected_rectangle_changes_only_background():
    start = striped_map()
    canvas = LabelCanvas(start)
    canvas.protect_others, canvas.active_label = True, NOSE

    canvas.rectangle(0, 10, 47, 20)

    expected = start.copy()
    band = expected[10:21]
    band[band == BACKGROUND] = NOSE
    np.testing.assert_array_equal(canvas.labels, expected)


# -- eyedropper ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "y", "row", "col"),
    [(15, 3, 3, 15), (24.4, 47, 47, 24), (-5, 10, 10, 0), (100, -3, 0, 47), (47.6, 60, 47, 47)],
)
def test_eyedropper_picks_the_label_under_the_cursor_clamped_at_borders(x, y, row, col):
    labels = voronoi_map(48, seed=6, regions=9)
    canvas = LabelCanvas(labels)
    canvas.active_label = (int(labels[row, col]) + 1) % NUM_REGIONS

    assert canvas.pick(x, y) == labels[row, col]

    assert canvas.active_label == labels[row, col]
    assert canvas.history.position == 0
    np.testing.assert_array_equal(canvas.labels, labels)


# -- replace ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((24, 16), lambda m: np.repeat(np.repeat(m, 2, axis=0), 3, axis=1)),  # upscaled 2x / 3x
        ((96, 96), lambda m: m[::2, ::2]),  # downscaled 2x
        ((48, 48), lambda m: m),
    ],
)
def test_replace_resizes_nearest_and_is_one_undo_step(shape, expected):
    canvas = LabelCanvas(voronoi_map(48, seed=7))
    original = canvas.labels.copy()
    opened = np.random.default_rng(8).integers(0, NUM_REGIONS, shape).astype(np.int64)

    delta = canvas.replace(opened)

    np.testing.assert_array_equal(canvas.labels, expected(opened))
    assert canvas.labels.shape == (48, 48) and canvas.labels.dtype == np.uint8
    assert delta is not None and canvas.history.position == 1
    assert canvas.history.edits[0].label == "Open mask"
    canvas.history.undo()
    np.testing.assert_array_equal(canvas.labels, original)
    canvas.history.redo()
    np.testing.assert_array_equal(canvas.labels, expected(opened))


def test_replace_with_the_same_map_is_not_a_history_step():
    labels = voronoi_map(48, seed=9)
    canvas = LabelCanvas(labels)

    assert canvas.replace(labels.copy()) is None

    assert canvas.history.position == 0


@pytest.mark.parametrize("shape", [(48, 48), (32, 32)])
def test_replace_rejects_invalid_labels_and_keeps_the_map(shape):
    canvas = LabelCanvas(voronoi_map(48, seed=10))
    before = canvas.labels.copy()
    bad = np.zeros(shape, np.uint8)
    bad[3, 4] = NUM_REGIONS  # 12 is not a region

    with pytest.raises(ValueError, match="0..11"):
        canvas.replace(bad)

    np.testing.assert_array_equal(canvas.labels, before)
    assert canvas.history.position == 0


# -- listeners -------------------------------------------------------------------------------------
def test_listeners_receive_boxes_that_contain_every_changed_pixel():
    canvas = LabelCanvas(voronoi_map(64, seed=11))
    boxes = []
    canvas.changed.connect(boxes.append)
    canvas.brush_radius, canvas.active_label = 4, HAIR
    before = canvas.labels.copy()

    delta = stroke(canvas, [(3, 3), (20, 40), (50, 45), (62, 10), (-3, 30)])

    covered = boxes_cover(boxes, before.shape)
    assert covered[canvas.labels != before].all()
    tops, lefts, bottoms, rights = np.array(boxes).T
    top, left, bottom, right = delta.box
    assert tops.min() <= top and lefts.min() <= left, "the union of boxes must cover the delta box"
    assert bottoms.max() >= bottom and rights.max() >= right, "the union of boxes must cover the delta box"
    assert all(box is not None for box in boxes), "a stroke should report boxes, not the whole map"

    for action in (canvas.history.undo, canvas.history.redo):
        boxes.clear()
        state = canvas.labels.copy()
        action()
        assert boxes_cover(boxes, state.shape)[canvas.labels != state].all()

    canvas.active_label = NOSE
    for edit in (lambda: canvas.fill(0, 0), lambda: canvas.rectangle(40, 2, 60, 20)):
        boxes.clear()
        state = canvas.labels.copy()
        assert edit() is not None
        assert boxes_cover(boxes, state.shape)[canvas.labels != state].all()


# -- history ---------------------------------------------------------------------------------------
def strokes_with_snapshots(canvas: LabelCanvas, count: int) -> list[np.ndarray]:
    """``count`` strokes that each change the map; snapshots[k] is the map after k strokes."""
    snapshots = [canvas.labels.copy()]
    canvas.brush_radius = 2
    for i in range(count):
        canvas.active_label = 1 + i % (NUM_REGIONS - 1)  # differs from the previous stroke's label
        assert stroke(canvas, [(5 + i % 20, 5), (5 + i % 20, 20)]) is not None
        snapshots.append(canvas.labels.copy())
    return snapshots


def test_history_limit_keeps_the_last_hundred_steps():
    canvas = LabelCanvas(np.zeros((32, 32), np.uint8), history=History(limit=100))
    snapshots = strokes_with_snapshots(canvas, 150)
    assert canvas.history.position == 100

    for k in range(149, 49, -1):
        assert canvas.history.undo()
        np.testing.assert_array_equal(canvas.labels, snapshots[k])

    assert not canvas.history.undo(), "only the last 100 strokes are undoable"
    np.testing.assert_array_equal(canvas.labels, snapshots[50])
    for k in range(51, 151):
        assert canvas.history.redo()
        np.testing.assert_array_equal(canvas.labels, snapshots[k])


def test_go_to_jumps_back_and_forth_in_history():
    canvas = LabelCanvas(np.zeros((32, 32), np.uint8))
    snapshots = strokes_with_snapshots(canvas, 6)

    for position in (2, 5, 0, 6, 3, 3, 1):
        canvas.history.go_to(position)
        assert canvas.history.position == position
        np.testing.assert_array_equal(canvas.labels, snapshots[position])
    assert len(canvas.history.edits) == 6

    for bad in (-1, 7):
        with pytest.raises(IndexError):
            canvas.history.go_to(bad)
    np.testing.assert_array_equal(canvas.labels, snapshots[1])


# -- random mixed actions --------------------------------------------------------------------------
SIZE = 48
coords = st.integers(-10, SIZE + 10)
labels_st = st.integers(0, NUM_REGIONS - 1)


class CanvasMachine(RuleBasedStateMachine):
    """Mixed canvas actions and history jumps; full-map snapshots are the undo/redo oracle."""

    def __init__(self):
        super().__init__()
        self.canvas: LabelCanvas | None = None
        self.done: list[np.ndarray] = []  # maps after each applied step; [0] is the start
        self.undone: list[np.ndarray] = []  # maps that redo brings back, last = next

    @initialize(seed=st.integers(0, 2**16), painted=st.booleans())
    def start(self, seed, painted):
        parsed = voronoi_map(SIZE, seed)
        labels = voronoi_map(SIZE, seed + 1) if painted else parsed
        self.canvas = LabelCanvas(labels, parsed=parsed)
        self.done = [self.canvas.labels.copy()]

    def _record(self, before: np.ndarray, delta: LabelDelta | None) -> None:
        after = self.canvas.labels.copy()
        if np.array_equal(before, after):
            assert delta is None, "an edit that changed nothing must not be a history step"
            return
        assert delta is not None
        assert_delta_matches(delta, before, after)
        self.done.append(after)
        self.undone.clear()

    def _tool(self, label: int, protect: bool) -> None:
        self.canvas.active_label, self.canvas.protect_others = label, protect

    def _allowed(self, before: np.ndarray, erase: bool) -> np.ndarray:
        canvas = self.canvas
        if not canvas.protect_others:
            return np.ones(before.shape, bool)
        if erase:
            return before == canvas.active_label
        return (before == canvas.paint_over) | (before == canvas.active_label)

    @rule(
        points=st.lists(st.tuples(coords, coords), min_size=1, max_size=5),
        radius=st.integers(0, 6),
        label=labels_st,
        erase=st.booleans(),
        protect=st.booleans(),
    )
    def brush(self, points, radius, label, erase, protect):
        self._tool(label, protect)
        self.canvas.brush_radius = radius
        before = self.canvas.labels.copy()
        delta = stroke(self.canvas, points, erase=erase)
        # What a pixel becomes once under the brush; repeated passes do not change it again.
        allowed = self._allowed(before, erase)
        target = np.where(allowed, self.canvas.parsed if erase else label, before)
        dist = polyline_distance(before.shape, points)
        after = self.canvas.labels
        changed = after != before
        assert (after[changed] == target[changed]).all()
        # Loose band: the exact footprint has its own test; here only "nothing far away changes".
        assert not (changed & (dist > radius + 3)).any(), "brush painted far outside its radius"
        np.testing.assert_array_equal(after[dist <= radius - 1], target[dist <= radius - 1])
        self._record(before, delta)

    @rule(x=coords, y=coords, label=labels_st, protect=st.booleans())
    def fill(self, x, y, label, protect):
        self._tool(label, protect)
        before = self.canvas.labels.copy()
        expected = before.copy()
        if 0 <= x < SIZE and 0 <= y < SIZE and self._allowed(before[y : y + 1, x : x + 1], False)[0, 0]:
            components, _ = ndimage.label(before == before[y, x])  # 4-connected by default in 2-D
            expected[components == components[y, x]] = label
        delta = self.canvas.fill(x, y)
        np.testing.assert_array_equal(self.canvas.labels, expected)
        self._record(before, delta)

    @rule(x0=coords, y0=coords, x1=coords, y1=coords, label=labels_st, protect=st.booleans())
    def rectangle(self, x0, y0, x1, y1, label, protect):
        self._tool(label, protect)
        before = self.canvas.labels.copy()
        expected = before.copy()
        rows = slice(max(0, min(y0, y1)), max(0, max(y0, y1) + 1))
        cols = slice(max(0, min(x0, x1)), max(0, max(x0, x1) + 1))
        region = expected[rows, cols]
        region[self._allowed(region, False)] = label
        delta = self.canvas.rectangle(x0, y0, x1, y1)
        np.testing.assert_array_equal(self.canvas.labels, expected)
        self._record(before, delta)

    @rule(seed=st.integers(0, 2**16), size=st.sampled_from([24, 48, 96]))
    def replace(self, seed, size):
        opened = voronoi_map(size, seed, regions=4)
        before = self.canvas.labels.copy()
        delta = self.canvas.replace(opened)
        factor = size / SIZE
        index = (np.arange(SIZE) * factor).astype(int)  # nearest neighbour, exact for these sizes
        np.testing.assert_array_equal(self.canvas.labels, opened[np.ix_(index, index)])
        self._record(before, delta)

    @rule(x=coords, y=coords)
    def pick(self, x, y):
        expected = self.canvas.labels[min(max(y, 0), SIZE - 1), min(max(x, 0), SIZE - 1)]
        assert self.canvas.pick(x, y) == expected == self.canvas.active_label

    @rule()
    def undo(self):
        assert self.canvas.history.undo() == (len(self.done) > 1)
        if len(self.done) > 1:
            self.undone.append(self.done.pop())

    @rule()
    def redo(self):
        assert self.canvas.history.redo() == bool(self.undone)
        if self.undone:
            self.done.append(self.undone.pop())

    @rule(fraction=st.floats(0, 1))
    def go_to(self, fraction):
        position = round(fraction * (len(self.done) - 1 + len(self.undone)))
        self.canvas.history.go_to(position)
        while len(self.done) - 1 > position:
            self.undone.append(self.done.pop())
        while len(self.done) - 1 < position:
            self.done.append(self.undone.pop())

    @precondition(lambda self: self.canvas is not None)
    @invariant()
    def map_matches_the_snapshot_oracle(self):
        np.testing.assert_array_equal(self.canvas.labels, self.done[-1])
        assert self.canvas.history.position == len(self.done) - 1
        assert self.canvas.history.can_redo == bool(self.undone)


CanvasMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=40, deadline=None, derandomize=True, database=None
)
test_random_canvas_actions_undo_and_redo_like_snapshots = CanvasMachine.TestCase


ACTION_WEIGHTS = {
    "brush": 0.4,
    "fill": 0.15,
    "rectangle": 0.15,
    "replace": 0.03,
    "pick": 0.07,
    "undo": 0.12,
    "redo": 0.08,
}


def test_undo_all_after_many_random_actions_returns_the_original_map():
    rng = np.random.default_rng(12345)
    parsed = voronoi_map(SIZE, seed=13)
    canvas = LabelCanvas(parsed, parsed=parsed, history=History(limit=2000))
    original = canvas.labels.copy()

    def point() -> tuple[float, float]:
        return tuple(rng.uniform(-8, SIZE + 8, 2))

    for _ in range(1000):
        canvas.active_label = int(rng.integers(0, NUM_REGIONS))
        canvas.protect_others = bool(rng.random() < 0.3)
        action = rng.choice(list(ACTION_WEIGHTS), p=list(ACTION_WEIGHTS.values()))
        if action == "brush":
            canvas.brush_radius = int(rng.integers(0, 7))
            stroke(canvas, [point() for _ in range(rng.integers(1, 6))], erase=bool(rng.random() < 0.3))
        elif action == "fill":
            canvas.fill(*point())
        elif action == "rectangle":
            canvas.rectangle(*point(), *point())
        elif action == "replace":
            canvas.replace(voronoi_map(int(rng.choice([24, 48, 96])), int(rng.integers(0, 1000))))
        elif action == "pick":
            canvas.pick(*point())
        elif action == "undo":
            canvas.history.undo()
        else:
            canvas.history.redo()
    while canvas.history.redo():
        pass
    final, steps = canvas.labels.copy(), canvas.history.position
    assert steps > 300

    while canvas.history.undo():
        pass
    np.testing.assert_array_equal(canvas.labels, original)
    while canvas.history.redo():
        pass
    np.testing.assert_array_equal(canvas.labels, final)
    assert canvas.history.position == steps
