"""Region labels that stay put through a video: a key frame's label map, carried with the face.

The parser sees every frame afresh, so where a region's border is a judgement (dark hair tips on a
dark background, a colour that drifts) it moves from frame to frame although the face did not, and
a border that moves for many frames gets past any short vote. A face in a video mostly moves
rigidly, which the smoothed alignment already follows, and changes shape in a few places (mouth,
eyes, brows, jaw). So each frame takes its **key frame's** labels, moved by the similarity that
carries the key's landmarks onto its own, and its own (voted) labels only around the landmark
groups that moved beyond that similarity. A new key starts where the landmarks as a whole no
longer follow a similarity (the head turned, the face changed), or every ``KEY_EVERY`` frames so
that hair moving on its own is taken up within two seconds. While the head is still turning, no
key fits: those frames take their own voted labels, and the first frame after the turn is the key.

Which frame keys which is a function of the track alone (detected landmarks and the smoothed
squares), and a key's labels are that one frame's parse: a chunk of frames edited apart (Ray,
``--resume``) finds the same keys and labels as a run through the whole video.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..photo.align import transform_for_square
from .tracking import gaussian_taps

KEY_EVERY = 48  # frames: two seconds at 24 fps
KEY_DRIFT = 0.01  # mean distance of the rigid points left after the similarity, of the crop side: new key
TURNING = 0.0008  # the same from one frame to the next (a still face: under 0.0005): still turning
LANDMARK_SIGMA = 2.0  # frames: what decides keys and zones is smoothed (dlib jitters by ~0.005)
ZONE_MARGIN = 0.03  # around the group's landmarks, of the side: what its change can move

# The points that move with the head and not with expression (nose, the eyes' corners): the
# similarity is fitted to these, so speaking does not move the carried labels.
RIGID_POINTS = [*range(27, 36), 36, 39, 42, 45]
# Landmark groups (dlib's 68) whose shape changes with expression, and how far (the farthest point,
# beyond the head's motion, of the crop side) one must move to take the frame's own labels around it.
# Above what the smoothed detector drifts on a still face (at most 0.016 for the jaw, whose points
# slide along the outline; 0.012 for the lips, 0.007 for brows, 0.004 for eyes) and below what speaking
# (a lowered chin moves 0.03 and more), a blink (an eyelid 0.01 after smoothing) or a raised brow do.
GROUPS: dict[str, tuple[range, float]] = {
    "jaw": (range(0, 17), 0.025),
    "right brow": (range(17, 22), 0.012),
    "left brow": (range(22, 27), 0.012),
    "right eye": (range(36, 42), 0.008),
    "left eye": (range(42, 48), 0.008),
    "mouth": (range(48, 68), 0.02),
}
MEASURE_SIZE = 1024  # crop side the landmarks are measured at (then divided: fractions of the side)


def head_motion(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The similarity between two faces' 68 landmarks, fitted to their ``RIGID_POINTS``."""
    return similarity(source[RIGID_POINTS], target[RIGID_POINTS])


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The [2, 3] rotation + uniform scale + shift taking ``source`` points nearest ``target``
    (least squares, Umeyama's closed form)."""
    mean_s, mean_t = source.mean(0), target.mean(0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.sign(np.linalg.det(u @ vt)) or 1.0
    d = np.diag([1.0, sign])
    rotation = u @ d @ vt
    scale = (singular * np.diag(d)).sum() / max(s.var(0).sum(), 1e-12)
    shift = mean_t - scale * rotation @ mean_s
    return np.hstack([scale * rotation, shift[:, None]])


def _moved(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@dataclass
class LabelKeys:
    keys: list[int | None]  # per frame: the frame whose labels it carries (None: not edited)
    turning: list[bool]  # per frame: the head is turning, the frame takes its own (voted) labels
    # Per frame: landmarks in the crop (fractions of its side) smoothed in time as the squares are,
    # bridged across frames the detector missed; keys, zones and the similarity that carries labels
    # come from these, so the detector's jitter neither crosses thresholds nor shakes borders.
    steady: list[np.ndarray | None]

    @classmethod
    def from_track(cls, track, plan: list) -> LabelKeys:
        """Keys for the frames ``plan`` edits (its smoothed squares), from ``track``'s landmarks."""
        landmarks: list[np.ndarray | None] = []
        for square, points in zip(plan, track.landmarks, strict=False):
            if square is None or points is None:
                landmarks.append(None)
                continue
            transform = transform_for_square(square, track.frame_size, MEASURE_SIZE)
            landmarks.append(transform.to_crop(points) / MEASURE_SIZE)
        landmarks += [None] * (len(plan) - len(landmarks))
        steady = _bridged(smooth_landmarks(landmarks, LANDMARK_SIGMA), plan)
        keys: list[int | None] = []
        turning = [False] * len(plan)
        key = previous = None
        for index, square in enumerate(plan):
            if square is None:
                keys.append(None)
                continue
            # A key is a frame where the face was detected (the first edited frame always is), so
            # its parse never has to find the face the detector missed.
            detected = landmarks[index] is not None
            if key is None:
                key = index
            elif detected and _residual(steady[key], steady[index]) > KEY_DRIFT:
                if _residual(steady[previous], steady[index]) > TURNING:
                    turning[index] = True  # the old key stays until the head settles
                else:
                    key = index
            elif detected and index - key >= KEY_EVERY:
                key = index
            keys.append(key)
            previous = index
        return cls(keys, turning, steady)

    def labels(self, index: int, key_labels: np.ndarray, own_labels: np.ndarray) -> np.ndarray:
        """Frame ``index``'s labels: its key's, carried onto its face, and its own where it changed."""
        key = self.keys[index]
        start, now = self.steady[key], self.steady[index]
        if self.turning[index]:
            return own_labels
        if key == index or start is None or now is None:
            return key_labels
        side = key_labels.shape[0]
        matrix = head_motion(start, now)
        carried = key_labels
        # A shift under half a label pixel anywhere on the face is left out: nearest-neighbour
        # warping would flip border pixels back and forth for motion nobody can see.
        if np.abs(_moved(matrix, start) - start).max() * side >= 0.5:
            pixels = np.hstack([matrix[:, :2], matrix[:, 2:] * side])
            carried = cv2.warpAffine(
                key_labels, pixels, (side, side), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
            )
        zone = changed_zone(_moved(matrix, start), now, side)
        return np.where(zone, own_labels, carried).astype(key_labels.dtype)


def smooth_landmarks(landmarks: list[np.ndarray | None], sigma: float) -> list[np.ndarray | None]:
    """Each frame's landmarks as the Gaussian-weighted mean over the frames near it that have them
    (frames without them stay without): the jitter of the detector, not the face's motion, goes."""
    have = np.array([points is not None for points in landmarks])
    if not have.any() or sigma <= 0:
        return landmarks
    stacked = np.stack([points if points is not None else np.zeros((68, 2)) for points in landmarks])
    taps = gaussian_taps(sigma)
    radius = len(taps) // 2
    smoothed: list[np.ndarray | None] = []
    for index, present in enumerate(have):
        if not present:
            smoothed.append(None)
            continue
        window = slice(max(0, index - radius), min(len(landmarks), index + radius + 1))
        weights = taps[window.start - index + radius : window.stop - index + radius] * have[window]
        smoothed.append(np.tensordot(weights / weights.sum(), stacked[window], axes=1))
    return smoothed


def _residual(start: np.ndarray | None, now: np.ndarray | None) -> float:
    """Mean distance of the rigid points left after the head's similarity (0 without landmarks)."""
    if start is None or now is None:
        return 0.0
    moved = _moved(head_motion(start, now), start)
    return float(np.linalg.norm(moved[RIGID_POINTS] - now[RIGID_POINTS], axis=1).mean())


def _bridged(landmarks: list[np.ndarray | None], plan: list) -> list[np.ndarray | None]:
    """Landmarks of edited frames the detector missed, interpolated between the frames around them."""
    known = [i for i, points in enumerate(landmarks) if points is not None]
    bridged = list(landmarks)
    for index, square in enumerate(plan):
        if square is None or landmarks[index] is not None or not known:
            continue
        before = max((i for i in known if i < index), default=None)
        after = min((i for i in known if i > index), default=None)
        if before is None or after is None:
            bridged[index] = landmarks[before if after is None else after]
        else:
            t = (index - before) / (after - before)
            bridged[index] = (1 - t) * landmarks[before] + t * landmarks[after]
    return bridged


def changed_zone(carried: np.ndarray, now: np.ndarray, side: int) -> np.ndarray:
    """bool [side, side]: around each landmark group whose carried and own positions differ."""
    zone = np.zeros((side, side), np.uint8)
    margin = max(1, round(ZONE_MARGIN * side))
    for name, (group, threshold) in GROUPS.items():
        before, after = carried[group], now[group]
        if np.linalg.norm(before - after, axis=1).max() <= threshold:
            continue
        for points in (before, after):
            polygon = np.round(points * side).astype(np.int32)
            if name == "jaw":
                cv2.polylines(zone, [polygon], False, 1, thickness=2 * margin)
            else:
                cv2.fillConvexPoly(zone, cv2.convexHull(polygon), 1)
    if zone.any():
        zone = cv2.dilate(zone, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1,) * 2))
    return zone.astype(bool)
