"""A texture edit or texture swap applied to every frame of a video, the way a photo is edited.

Qt-free; ``e4s-studio video-edit`` / ``video-swap`` run it. Two passes over the video, each
streaming (memory does not grow with its length):

1. track: detect and follow the face, smooth its alignment over time (``e4s_core.video.tracking``);
2. edit: per frame, cut the smoothed crop, parse it (stabilised in time), encode it, mix the
   chosen regions' vectors toward the reference's (encoded once), render, composite with the
   photo compositor and paste the change back: every pixel the edit does not reach is the
   frame's own. The same ``Document`` / ``ResultRenderer`` / ``pasted_photo`` as ``edit``.

Frames where the face was not found: a gap of up to ``MAX_CARRIED_FRAMES`` between two sightings
is bridged (the alignment interpolated, the edit applied); before the first sighting, after the
last and in longer gaps the frame passes through unchanged. Both are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from e4s_core import E4SModel
from e4s_core.photo.align import FFHQ_SIZE, AlignedFace, transform_for_square, warp_to_crop
from e4s_core.photo.io import Photo
from e4s_core.photo.parse import FaceParser, parse_face
from e4s_core.video.tracking import DEFAULT_SIGMA, FaceTrack, LabelStabiliser, smooth_squares

from .document import Document, FaceSource, Reference, encode_face
from .result import ResultRenderer, pasted_photo

MAX_CARRIED_FRAMES = 12  # about half a second: a blink of the detector, not a face leaving


@dataclass
class VideoEditReport:
    frames: int = 0
    edited: int = 0
    carried: list[int] = field(default_factory=list)  # face not found, alignment bridged, edited
    unchanged: list[int] = field(default_factory=list)  # no face to edit: the frame as it was


@dataclass(frozen=True)
class TextureMix:
    """What every frame gets: ``reference``'s texture in ``regions``, mixed by ``alpha``."""

    reference: Reference
    regions: tuple[int, ...]
    alpha: float


def frame_plan(track: FaceTrack, sigma: float = DEFAULT_SIGMA) -> tuple[list, list[int], list[int]]:
    """(per-frame smoothed square or None, carried frames, unchanged frames)."""
    seen = [i for i, square in enumerate(track.squares) if square is not None]
    smoothed = smooth_squares(track.squares, sigma)
    plan: list = [None] * len(track.squares)
    carried, unchanged = [], []
    for i in range(len(track.squares)):
        if track.squares[i] is not None:
            plan[i] = smoothed[i]
            continue
        before = [s for s in seen if s < i]
        after = [s for s in seen if s > i]
        if before and after and after[0] - before[-1] - 1 <= MAX_CARRIED_FRAMES:
            plan[i] = smoothed[i]
            carried.append(i)
        else:
            unchanged.append(i)
    return plan, carried, unchanged


class FrameEditor:
    """Edits one frame after another (in order: the label vote looks at the previous frames)."""

    def __init__(self, model: E4SModel, parser: FaceParser | None, mix: TextureMix, size: int = FFHQ_SIZE):
        self.model, self.parser, self.mix, self.size = model, parser, mix, size
        self._renderer = ResultRenderer()
        self._stabiliser = LabelStabiliser()
        self._landmarks: np.ndarray | None = None  # the last detected landmarks, in crop pixels

    def edit(self, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        """The frame with the edit pasted in; ``landmarks`` [68, 2] in frame pixels, or None when
        the face was not detected in it (the last ones seen are used)."""
        transform = transform_for_square(square, (rgb.shape[1], rgb.shape[0]), self.size)
        crop = warp_to_crop(rgb, transform)
        if landmarks is not None:
            self._landmarks = transform.to_crop(landmarks)
        aligned = AlignedFace(crop, transform, self._landmarks)
        labels = self._stabiliser(parse_face(aligned, self.parser))
        source = FaceSource(aligned, labels, Photo(rgb), name="frame")
        document = Document(source, encode_face(self.model, source))
        reference = document.add_reference(self.mix.reference)
        document.apply_texture(reference.hash, self.mix.regions, self.mix.alpha)
        result = self._renderer.render(self.model, document, document.snapshot())
        return pasted_photo(source, result, "photo")


def edit_frames(
    frames: Iterator[np.ndarray],
    track: FaceTrack,
    editor: FrameEditor,
    sigma: float = DEFAULT_SIGMA,
    progress: Callable[[], None] | None = None,
) -> tuple[VideoEditReport, Iterator[np.ndarray]]:
    """(the report, which fills in as frames go by; every frame, edited where the face is)."""
    plan, carried, unchanged = frame_plan(track, sigma)
    report = VideoEditReport(len(plan), 0, carried, unchanged)

    def edited() -> Iterator[np.ndarray]:
        for index, rgb in enumerate(frames):
            square = plan[index] if index < len(plan) else None
            if square is None:
                if index >= len(plan):  # a frame the tracking pass did not see
                    report.unchanged.append(index)
                yield rgb
            else:
                report.edited += 1
                yield editor.edit(rgb, square, track.landmarks[index])
            if progress is not None:
                progress()

    return report, edited()
