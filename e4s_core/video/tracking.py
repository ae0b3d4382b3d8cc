"""Follow one face through a video and align it smoothly, and keep its regions from flickering.

Per frame the faces are detected and landmarked as in a photo; the chosen face (``face_index``
by size in the first frame where any face is found) is followed by position: in each frame, the
detected face nearest to where it was, if it is within half a face width. The FFHQ square of
each frame (centre and the two half-axes, from the landmarks) is then smoothed over time with a
Gaussian filter of ``sigma`` frames (STIT smooths the same quad); a frame where the face was not
found takes the square interpolated between its neighbours, and is reported. Jitter of a pixel or
two in the landmarks would otherwise shake the aligned crop, and the edit with it.

Region boundaries flicker for the same reason. ``label_keys`` holds each frame to a key frame's
labels, carried with the face; where the face changes shape, ``LabelStabiliser`` keeps the label a
pixel had unless the new one is seen in two consecutive frames (a majority vote over the last
three maps in which the current frame breaks ties).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..photo.align import ffhq_square
from ..photo.faces import DetectedFace, detect_faces

FOLLOW_RADIUS = 0.5  # of the face's width: farther than this, a detection is another face
DEFAULT_SIGMA = 2.0  # frames


@dataclass
class FaceTrack:
    """The followed face, frame by frame (photo pixels of the upright frame)."""

    frame_size: tuple[int, int]  # (width, height)
    squares: list[np.ndarray | None] = field(default_factory=list)  # [3, 2]: centre, x, y half-axes
    landmarks: list[np.ndarray | None] = field(default_factory=list)  # [68, 2] where detected

    @property
    def found_any(self) -> bool:
        return any(square is not None for square in self.squares)


def _pick(faces: list[DetectedFace], previous: np.ndarray | None, face_index: int) -> DetectedFace | None:
    if not faces:
        return None
    if previous is None:  # the first sighting: by size, as in a photo (largest first)
        return faces[face_index] if face_index < len(faces) else None
    centre, width = previous[0], 2 * np.hypot(*previous[1])
    distances = [np.hypot(*(ffhq_square(face.landmarks)[0] - centre)) for face in faces]
    nearest = int(np.argmin(distances))
    return faces[nearest] if distances[nearest] <= FOLLOW_RADIUS * width else None


def track_face(frames: Iterable[np.ndarray], face_index: int = 0, progress=None) -> FaceTrack:
    """Detect and follow the chosen face through ``frames`` (one pass, no frames kept)."""
    track: FaceTrack | None = None
    last_seen: np.ndarray | None = None
    for rgb in frames:
        if track is None:
            track = FaceTrack((rgb.shape[1], rgb.shape[0]))
        face = _pick(detect_faces(rgb), last_seen, face_index)
        if face is None:
            track.squares.append(None)
            track.landmarks.append(None)
        else:
            square = np.stack(ffhq_square(face.landmarks))
            track.squares.append(square)
            track.landmarks.append(np.asarray(face.landmarks, np.float64))
            last_seen = square
        if progress is not None:
            progress()
    return track or FaceTrack((0, 0))


def gaussian_taps(sigma: float) -> np.ndarray:
    """Weights of a Gaussian over frames -3 sigma .. +3 sigma, summing to 1."""
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return taps / taps.sum()


def smooth_squares(squares: list[np.ndarray | None], sigma: float = DEFAULT_SIGMA) -> list[np.ndarray]:
    """Fill the gaps (linear between neighbours, constant at the ends), then Gaussian-smooth in time."""
    known = [i for i, square in enumerate(squares) if square is not None]
    if not known:
        return []
    frames = np.arange(len(squares))
    stacked = np.stack([squares[i] for i in known]).reshape(len(known), -1)  # [K, 6]
    filled = np.stack([np.interp(frames, known, stacked[:, j]) for j in range(stacked.shape[1])], axis=1)
    if sigma > 0 and len(squares) > 1:
        taps = gaussian_taps(sigma)
        radius = len(taps) // 2
        padded = np.pad(filled, ((radius, radius), (0, 0)), mode="edge")  # no pull toward zero at the ends
        filled = np.stack([np.convolve(padded[:, j], taps, mode="valid") for j in range(filled.shape[1])], 1)
    return [row.reshape(3, 2) for row in filled]


class LabelStabiliser:
    """Causal temporal vote over label maps: a pixel changes region when two frames in a row agree."""

    def __init__(self, window: int = 3) -> None:
        self._recent: deque[np.ndarray] = deque(maxlen=window)

    def __call__(self, labels: np.ndarray) -> np.ndarray:
        self._recent.append(labels)
        if len(self._recent) < 3:
            return labels
        older, previous, current = self._recent[-3], self._recent[-2], self._recent[-1]
        # Majority of three with the current frame breaking ties: the current label unless both
        # earlier frames agree on another one.
        stable = current.copy()
        outvoted = (older == previous) & (previous != current)
        stable[outvoted] = previous[outvoted]
        return stable  # the votes count what the parser saw, so a real change shows one frame late
