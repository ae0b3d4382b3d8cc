"""Region labels that stay put through a video: a key frame's label map, carried with the face.

The parser sees every frame afresh, so where a region's border is a judgement (dark hair tips on a
dark background, a colour that drifts) it moves from frame to frame although the face did not, and
a border that moves for many frames gets past any short vote. A face in a video mostly moves
rigidly, which the smoothed alignment already follows, and changes shape in a few places (mouth,
eyes, brows, jaw). So each frame takes its **key frame's** labels, moved by the similarity that
carries the key's landmarks onto its own, and its own (voted) labels only around the landmark
groups that moved beyond that similarity. A new key starts where the landmarks as a whole no
longer follow a similarity (the head turned, the face changed), or every ``KEY_EVERY`` frames so
that hair moving on its own is taken up within two seconds.

Which frame keys which is a function of the track alone (detected landmarks and the smoothed
squares), and a key's labels are that one frame's parse: a chunk of frames edited apart (Ray,
``--resume``) finds the same keys and labels as a run through the whole video.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..photo.align import transform_for_square

KEY_EVERY = 48  # frames: two seconds at 24 fps
KEY_DRIFT = 0.015  # mean landmark distance left after the similarity, of the crop side: new key
ZONE_DRIFT = 0.012  # a group that moved this much beyond the similarity takes the frame's own labels
LANDMARK_SIGMA = 2.0  # frames: what decides keys and zones is smoothed (dlib jitters by ~0.005)
ZONE_MARGIN = 0.03  # around the group's landmarks, of the side: what its change can move

# Landmark groups (dlib's 68) whose shape changes with expression; the jaw is a band along the line.
GROUPS: dict[str, range] = {
    "jaw": range(0, 17),
    "right brow": range(17, 22),
    "left brow": range(22, 27),
    "right eye": range(36, 42),
    "left eye": range(42, 48),
    "mouth": range(48, 68),
}
MEASURE_SIZE = 1024  # crop side the landmarks are measured at (then divided: fractions of the side)


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
    landmarks: list[np.ndarray | None]  # per frame: landmarks in the crop, fractions of its side
    # The same smoothed in time: they decide keys and zones, where the detector's jitter would
    # cross the thresholds; the similarity that carries labels is fitted to all 68 raw points,
    # which averages the jitter out and follows fast motion without lag.
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
        steady = smooth_landmarks(landmarks, LANDMARK_SIGMA)
        keys: list[int | None] = []
        key: int | None = None
        for index, square in enumerate(plan):
            if square is None:
                keys.append(None)
                continue
            if key is None or index - key >= KEY_EVERY or _needs_key(steady[key], steady[index]):
                key = index
            keys.append(key)
        return cls(keys, landmarks, steady)

    def labels(self, index: int, key_labels: np.ndarray, own_labels: np.ndarray) -> np.ndarray:
        """Frame ``index``'s labels: its key's, carried onto its face, and its own where it changed."""
        key = self.keys[index]
        start, now = self.landmarks[key], self.landmarks[index]
        if key == index or start is None or now is None:
            return key_labels
        side = key_labels.shape[0]
        matrix = similarity(start, now)
        pixels = np.hstack([matrix[:, :2], matrix[:, 2:] * side])
        carried = cv2.warpAffine(
            key_labels, pixels, (side, side), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
        )
        steady_start, steady_now = self.steady[key], self.steady[index]
        zone = changed_zone(_moved(similarity(steady_start, steady_now), steady_start), steady_now, side)
        return np.where(zone, own_labels, carried).astype(key_labels.dtype)


def smooth_landmarks(landmarks: list[np.ndarray | None], sigma: float) -> list[np.ndarray | None]:
    """Each frame's landmarks as the Gaussian-weighted mean over the frames near it that have them
    (frames without them stay without): the jitter of the detector, not the face's motion, goes."""
    have = np.array([points is not None for points in landmarks])
    if not have.any() or sigma <= 0:
        return landmarks
    stacked = np.stack([points if points is not None else np.zeros((68, 2)) for points in landmarks])
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    smoothed: list[np.ndarray | None] = []
    for index, present in enumerate(have):
        if not present:
            smoothed.append(None)
            continue
        window = slice(max(0, index - radius), min(len(landmarks), index + radius + 1))
        weights = taps[window.start - index + radius : window.stop - index + radius] * have[window]
        smoothed.append(np.tensordot(weights / weights.sum(), stacked[window], axes=1))
    return smoothed


def _needs_key(start: np.ndarray | None, now: np.ndarray | None) -> bool:
    if now is None:  # no landmarks in this frame: nothing says the face changed
        return False
    if start is None:  # the key had none: take the first frame that has them
        return True
    return float(np.linalg.norm(_moved(similarity(start, now), start) - now, axis=1).mean()) > KEY_DRIFT


def changed_zone(carried: np.ndarray, now: np.ndarray, side: int) -> np.ndarray:
    """bool [side, side]: around each landmark group whose carried and own positions differ."""
    zone = np.zeros((side, side), np.uint8)
    margin = max(1, round(ZONE_MARGIN * side))
    for name, group in GROUPS.items():
        before, after = carried[group], now[group]
        if np.linalg.norm(before - after, axis=1).mean() <= ZONE_DRIFT:
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
