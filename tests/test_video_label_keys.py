"""Key-frame labels in video: which frame keys which, and how its labels are carried and updated."""

import numpy as np

from e4s_core.video.label_keys import GROUPS, KEY_EVERY, LabelKeys, similarity
from e4s_core.video.tracking import FaceTrack

SIDE = 1024  # frame = crop: the square below maps the frame onto the crop as it is
SQUARE = np.array([[512.0, 512.0], [512.0, 0.0], [0.0, 512.0]])  # centre, x and y half-axes


def _landmarks(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(300, 700, size=(68, 2))


def _rotated(points: np.ndarray, degrees: float, scale: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    angle = np.deg2rad(degrees)
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - 512) @ rotation.T + 512 + np.asarray(shift)


def _keys(frames: list[np.ndarray | None]) -> LabelKeys:
    track = FaceTrack((SIDE, SIDE), [SQUARE] * len(frames), frames)
    return LabelKeys.from_track(track, [SQUARE] * len(frames))


def test_similarity_recovers_a_rotation_scale_and_shift():
    points = _landmarks()
    moved = _rotated(points, 7.0, 1.1, (12.0, -5.0))
    matrix = similarity(points, moved)
    np.testing.assert_allclose(points @ matrix[:, :2].T + matrix[:, 2], moved, atol=1e-9)


def test_a_still_face_keeps_one_key_until_the_refresh():
    keys = _keys([_landmarks()] * (KEY_EVERY + 5))
    assert keys.keys == [0] * KEY_EVERY + [KEY_EVERY] * 5


def test_a_face_that_moves_rigidly_keeps_its_key_and_its_labels_move_with_it():
    start = _landmarks()
    keys = _keys([start] * 8 + [_rotated(start, 4.0, 1.05, (20.0, 10.0))] * 8)
    assert keys.keys == [0] * 16
    key_labels = np.zeros((512, 512), np.uint8)
    key_labels[200:300, 150:250] = 4
    own = np.full((512, 512), 6, np.uint8)  # what the parser saw: ignored, nothing changed shape
    carried = keys.labels(15, key_labels, own)  # past the smoothing's reach of the still frames
    assert not (carried == 6).any()
    ys, xs = np.nonzero(carried == 4)
    centre = np.array([xs.mean(), ys.mean()]) * 2  # in 1024 px crop pixels
    expected = _rotated(np.array([[199.5 * 2, 249.5 * 2]]), 4.0, 1.05, (20.0, 10.0))[0]
    assert np.abs(centre - expected).max() < 4  # the block moved with the face


def test_an_open_mouth_takes_the_frames_own_labels_there_and_nowhere_else():
    start = _landmarks()
    opened = start.copy()
    opened[list(GROUPS["mouth"][0])] += [0.0, 30.0]  # 3 % of the side: far past the detector's jitter
    keys = _keys([start] * 8 + [opened] * 8)
    assert keys.keys == [0] * 16  # the face as a whole still follows a similarity
    key_labels = np.full((512, 512), 6, np.uint8)
    own = np.full((512, 512), 9, np.uint8)
    assert np.array_equal(keys.labels(3, key_labels, own), key_labels)  # closed: all carried
    labels = keys.labels(12, key_labels, own)
    mouth = np.round(opened[list(GROUPS["mouth"][0])] / 2).astype(int)
    assert (labels[mouth[:, 1].clip(0, 511), mouth[:, 0].clip(0, 511)] == 9).all()
    assert (labels == 6).mean() > 0.5  # the rest carried from the key


def test_a_face_that_changes_as_a_whole_starts_a_new_key():
    frames = [_landmarks(0)] * 12 + [_landmarks(1)] * 12  # another configuration altogether
    keys = _keys(frames)
    assert keys.keys[:4] == [0] * 4 and not any(keys.turning[:4])  # still
    new = keys.keys[-1]
    assert 12 <= new <= 22 and keys.keys[new:] == [new] * (24 - new)  # one new key, once it settled
    assert all(keys.turning[i] for i in range(10, 14))  # while it changed: the frames' own labels
    assert not any(keys.turning[new:]) and len(set(keys.keys)) == 2


def test_frames_the_detector_missed_are_bridged_and_never_start_a_key():
    points = _landmarks()
    frames = [points] * KEY_EVERY + [None, None] + [points] * 3  # the refresh falls in the gap
    keys = _keys(frames)
    assert keys.keys == [0] * (KEY_EVERY + 2) + [KEY_EVERY + 2] * 3 and not any(keys.turning)
    assert all(steady is not None for steady in keys.steady)
    np.testing.assert_allclose(keys.steady[KEY_EVERY], keys.steady[0], atol=1e-12)  # bridged


def test_while_the_head_turns_frames_take_their_own_labels():
    start = _landmarks(0)
    turned = start.copy()
    turned[27:36, 0] += 40  # the nose moves sideways against the eyes' corners: a turn, not a similarity
    frames = [start] * 10 + [start + (turned - start) * t / 10 for t in range(1, 11)] + [turned] * 10
    keys = _keys(frames)
    turning = [i for i, flag in enumerate(keys.turning) if flag]
    assert turning and turning[0] >= 8 and turning[-1] <= 26  # during the turn (and its smoothing)
    assert keys.keys[-1] > turning[-1] and keys.keys[-1] == keys.keys[-2]  # the key after it
    key_labels, own = np.zeros((512, 512), np.uint8), np.ones((512, 512), np.uint8)
    assert np.array_equal(keys.labels(turning[0], key_labels, own), own)
