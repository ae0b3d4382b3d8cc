"""A texture edit or texture swap applied to every frame of a video, the way a photo is edited.

Qt-free; ``e4s-studio video-edit`` / ``video-swap`` run it. Two passes over the video, each
streaming (memory does not grow with its length):

1. track: detect and follow the face, smooth its alignment over time (``e4s_core.video.tracking``);
2. edit: per frame, cut the smoothed crop, parse it (held to its key frame's labels, which move
   with the face: ``e4s_core.video.label_keys``; a vote over three frames where the face's
   shape changes), encode it, mix the
   chosen regions' vectors toward the reference's (encoded once), render, composite with the
   photo compositor and paste the change back: every pixel the edit does not reach is the
   frame's own. The same ``Document`` / ``ResultRenderer`` / ``pasted_photo`` as ``edit``.

Frames where the face was not found: a gap of up to ``MAX_CARRIED_FRAMES`` between two sightings
is bridged (the alignment interpolated, the edit applied); before the first sighting, after the
last and in longer gaps the frame passes through unchanged. Both are reported.

Resuming: ``FrameCache`` keeps the track and each edited frame's changed patch (lossless PNG) while
a job runs; an interrupted job run again with the same inputs reads them back instead of editing
those frames again, and gives the same frames as an uninterrupted run (the label vote is primed
with the two frames before the first one it edits, and the key frame's labels are parsed again
from that frame). The cache goes when the job succeeds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from e4s_core import E4SModel
from e4s_core.paths import cache_dir
from e4s_core.photo.align import FFHQ_SIZE, AlignedFace, transform_for_square, warp_to_crop
from e4s_core.photo.io import Photo
from e4s_core.photo.parse import FaceParser, parse_face
from e4s_core.video.label_keys import LabelKeys
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
    resumed: int = 0  # edited frames read back from an interrupted run's cache


@dataclass(frozen=True)
class TextureMix:
    """What every frame gets: ``reference``'s texture in ``regions``, mixed by ``alpha``."""

    reference: Reference
    regions: tuple[int, ...]
    alpha: float


def frame_plan(track: FaceTrack, sigma: float = DEFAULT_SIGMA) -> tuple[list, VideoEditReport]:
    """(per-frame smoothed square or None where the frame stays as it is, the report to fill in)."""
    smoothed = smooth_squares(track.squares, sigma)
    seen = [i for i, square in enumerate(track.squares) if square is not None]
    plan: list = [None] * len(track.squares)
    report = VideoEditReport(len(plan))
    for before, after in zip(seen, seen[1:], strict=False):  # gaps between two sightings
        if after - before - 1 <= MAX_CARRIED_FRAMES:
            report.carried += range(before + 1, after)
    for i in [*seen, *report.carried]:
        plan[i] = smoothed[i]
    report.unchanged = [i for i, square in enumerate(plan) if square is None]
    return plan, report


class FrameEditor:
    """Edits one frame after another (in order: the label vote looks at the previous frames).

    ``mix``: one texture mix, or several applied in turn (the studio's texture steps)."""

    def __init__(
        self,
        model: E4SModel,
        parser: FaceParser | None,
        mix: TextureMix | tuple[TextureMix, ...],
        size: int = FFHQ_SIZE,
        finetune_steps: int = 0,
    ):
        self.model, self.parser, self.size, self.finetune_steps = model, parser, size, finetune_steps
        self.mixes = mix if isinstance(mix, tuple) else (mix,)
        self._renderer = ResultRenderer()
        self._stabiliser = LabelStabiliser()
        self._landmarks: np.ndarray | None = None  # the last detected landmarks, in crop pixels
        self._keys: LabelKeys | None = None  # set by ``follow``: labels held to key frames
        self._key: tuple[int, np.ndarray] | None = None  # (frame, its labels) of the current key

    def follow(self, keys: LabelKeys) -> None:
        """Hold each frame's labels to its key frame's (``edit`` then takes the frame's index)."""
        self._keys, self._key = keys, None

    def _parse(self, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None):
        """(aligned crop, its parse, the parse after the vote over the last three frames)."""
        transform = transform_for_square(square, (rgb.shape[1], rgb.shape[0]), self.size)
        crop = warp_to_crop(rgb, transform)
        if landmarks is not None:
            self._landmarks = transform.to_crop(landmarks)
        aligned = AlignedFace(crop, transform, self._landmarks)
        parsed = parse_face(aligned, self.parser)
        return aligned, parsed, self._stabiliser(parsed)

    def _key_labels(self, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        """A key frame's labels from that frame alone (not the landmarks of frames before it)."""
        transform = transform_for_square(square, (rgb.shape[1], rgb.shape[0]), self.size)
        points = transform.to_crop(landmarks) if landmarks is not None else None
        return parse_face(AlignedFace(warp_to_crop(rgb, transform), transform, points), self.parser)

    def prime_key(
        self, index: int, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None
    ) -> None:
        """Take up key frame ``index`` (edited earlier, or by another worker) for the frames after it."""
        self._key = (index, self._key_labels(rgb, square, landmarks))

    def is_key(self, index: int) -> bool:
        return self._keys is not None and self._keys.keys[index] == index

    def needs_key(self, index: int) -> int | None:
        """The key frame that frame ``index`` needs primed first, or None."""
        if self._keys is None or self._keys.turning[index]:  # a turning frame uses its own labels
            return None
        key = self._keys.keys[index]
        if key is None or key == index or (self._key is not None and self._key[0] == key):
            return None
        return key

    def _finetuned(self, source: FaceSource, vectors: np.ndarray) -> E4SModel:
        """The generator fine-tuned on this frame (the authors' per-video step, supplement 8.4).

        Each frame starts from the loaded model rather than from the previous frame's tuning, so
        frames stay independent: a resumed or Ray run gives the same frames as a local one."""
        import torch

        from e4s_core import paper_constants as paper
        from e4s_core.fitting import finetune_generator
        from e4s_core.imageio import image_to_tensor, labels_to_tensor

        vectors = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))[None]
        image, labels = image_to_tensor(source.aligned.image), labels_to_tensor(source.parsed)
        return finetune_generator(
            self.model, image, labels, vectors, self.finetune_steps, paper.FINETUNE_LR
        ).model

    def prime(self, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None) -> None:
        """See a frame edited earlier (read from a cache) so the label vote goes on as it was."""
        self._parse(rgb, square, landmarks)

    def start_at(self, start: int, track: FaceTrack, plan: list) -> None:
        """Take up the landmarks an editor that went through frames 0..start-1 would hold (the last
        ones detected in an edited frame), for an editor that starts at ``start``."""
        seen = [i for i in range(start) if plan[i] is not None and track.landmarks[i] is not None]
        if seen:
            last = seen[-1]
            transform = transform_for_square(plan[last], track.frame_size, self.size)
            self._landmarks = transform.to_crop(track.landmarks[last])

    def edit(
        self, rgb: np.ndarray, square: np.ndarray, landmarks: np.ndarray | None, index: int | None = None
    ) -> np.ndarray:
        """The frame with the edit pasted in; ``landmarks`` [68, 2] in frame pixels, or None when
        the face was not detected in it (the last ones seen are used); ``index`` when following keys."""
        aligned, parsed, labels = self._parse(rgb, square, landmarks)
        if self._keys is not None and index is not None and not self._keys.turning[index]:
            key = self._keys.keys[index]
            if key == index:
                own = parsed if landmarks is not None else self._key_labels(rgb, square, landmarks)
                self._key = (index, own)
            if self._key is None or self._key[0] != key:
                raise RuntimeError(f"frame {index}'s key frame {key} was not primed")
            labels = self._keys.labels(index, self._key[1], labels)
        source = FaceSource(aligned, labels, Photo(rgb), name="frame")
        document = Document(source, encode_face(self.model, source))
        for mix in self.mixes:
            reference = document.add_reference(mix.reference)
            document.apply_texture(reference.hash, mix.regions, mix.alpha)
        model = self._finetuned(source, document.base_vectors) if self.finetune_steps else self.model
        result = self._renderer.render(model, document, document.snapshot())
        return pasted_photo(source, result, "photo")


@dataclass(frozen=True)
class Patch:
    """What an edit changed in a frame: the smallest box holding every changed pixel."""

    top: int
    left: int
    pixels: np.ndarray  # uint8 [h, w, 3], RGB


def changed_patch(original: np.ndarray, edited: np.ndarray) -> Patch:
    changed = np.argwhere((original != edited).any(axis=2))
    if not len(changed):
        return Patch(0, 0, original[:1, :1].copy())  # nothing changed: one pixel, as it was
    (top, left), (bottom, right) = changed.min(0), changed.max(0) + 1
    return Patch(int(top), int(left), edited[top:bottom, left:right].copy())


def apply_patch(original: np.ndarray, patch: Patch) -> np.ndarray:
    edited = original.copy()
    height, width = patch.pixels.shape[:2]
    edited[patch.top : patch.top + height, patch.left : patch.left + width] = patch.pixels
    return edited


class FrameCache:
    """A job's track and edited frames on disk, so an interrupted job resumes where it stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_job(cls, video: Path, settings: dict) -> FrameCache:
        """The cache of this video edited with these settings (JSON-able), in the user cache."""
        digest = hashlib.sha256()
        with open(video, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(json.dumps(settings, sort_keys=True).encode())
        return cls(cache_dir() / "video-jobs" / digest.hexdigest()[:24])

    def load_track(self) -> FaceTrack | None:
        path = self.folder / "track.npz"
        if not path.exists():
            return None
        with np.load(path) as data:
            found, squares, landmarks = data["found"], data["squares"], data["landmarks"]
            size = tuple(int(v) for v in data["frame_size"])
        return FaceTrack(
            size,
            [squares[i] if found[i] else None for i in range(len(found))],
            [landmarks[i] if found[i] else None for i in range(len(found))],
        )

    def save_track(self, track: FaceTrack) -> None:
        found = np.array([s is not None for s in track.squares])
        squares = np.stack([s if s is not None else np.zeros((3, 2)) for s in track.squares])
        landmarks = np.stack([m if m is not None else np.zeros((68, 2)) for m in track.landmarks])
        temp = self.folder / "track.tmp.npz"
        np.savez(
            temp, found=found, squares=squares, landmarks=landmarks, frame_size=np.array(track.frame_size)
        )
        temp.replace(self.folder / "track.npz")

    def load_frame(self, index: int, original: np.ndarray) -> np.ndarray | None:
        found = list(self.folder.glob(f"{index:07d}_*.png"))
        patch = cv2.imread(str(found[0]), cv2.IMREAD_COLOR) if found else None
        if patch is None:
            return None
        _, top, left = found[0].stem.split("_")
        return apply_patch(original, Patch(int(top), int(left), patch[:, :, ::-1]))

    def save_frame(self, index: int, original: np.ndarray, edited: np.ndarray) -> None:
        patch = changed_patch(original, edited)
        temp = self.folder / f"{index:07d}.tmp.png"
        cv2.imwrite(str(temp), np.ascontiguousarray(patch.pixels[:, :, ::-1]))
        temp.replace(self.folder / f"{index:07d}_{patch.top}_{patch.left}.png")  # a whole file or none

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def edit_frames(
    frames: Iterator[np.ndarray],
    track: FaceTrack,
    editor: FrameEditor,
    sigma: float = DEFAULT_SIGMA,
    progress: Callable[[], None] | None = None,
    cache: FrameCache | None = None,
) -> tuple[VideoEditReport, Iterator[np.ndarray]]:
    """(the report, which fills in as frames go by; every frame, edited where the face is)."""
    plan, report = frame_plan(track, sigma)
    editor.follow(LabelKeys.from_track(track, plan))

    def edited() -> Iterator[np.ndarray]:
        skipped: deque = deque(maxlen=2)  # the last frames read from the cache: they prime the vote
        last_key = None  # the last key frame read from the cache, for the frames edited after it
        for index, rgb in enumerate(frames):
            square = plan[index] if index < len(plan) else None
            if square is None:
                if index >= len(plan):  # a frame the tracking pass did not see
                    report.unchanged.append(index)
                yield rgb
            else:
                report.edited += 1
                landmarks = track.landmarks[index]
                result = cache.load_frame(index, rgb) if cache is not None else None
                if result is None:
                    if skipped:  # the first frame after frames read back from the cache
                        editor.start_at(index - len(skipped), track, plan)
                    while skipped:
                        editor.prime(*skipped.popleft())
                    needed = editor.needs_key(index)
                    if needed is not None:
                        if last_key is None or last_key[0] != needed:  # keys only grow: cannot happen
                            raise RuntimeError(f"frame {index} needs key frame {needed}, not in the cache")
                        editor.prime_key(*last_key)
                    result = editor.edit(rgb, square, landmarks, index)
                    if cache is not None:
                        cache.save_frame(index, rgb, result)
                else:
                    report.resumed += 1
                    skipped.append((rgb, square, landmarks))
                    if editor.is_key(index):
                        last_key = (index, rgb, square, landmarks)
                yield result
            if progress is not None:
                progress()

    return report, edited()


def texture_mixes(document: Document) -> tuple[TextureMix, ...]:
    """The texture steps applied in ``document`` (in order), as mixes every frame can take."""
    from .edits import TextureEdit

    steps = document.history.edits[: document.history.position]
    return tuple(
        TextureMix(document.references[step.reference], step.regions, step.alpha)
        for step in steps
        if isinstance(step, TextureEdit)
    )


def first_face(video: Path, parser: FaceParser | None, face_index: int = 0, search: int = 48):
    """(frame index, FaceSource) of the first of the first ``search`` frames where a face is found."""
    from e4s_core.errors import InputError
    from e4s_core.photo.align import align_photo
    from e4s_core.photo.faces import detect_faces
    from e4s_core.video.io import read_frames

    for index, rgb in enumerate(read_frames(video)):
        if index >= search:
            break
        faces = detect_faces(rgb)
        if len(faces) > face_index:
            aligned = align_photo(rgb, face_index, faces=faces, name=f"{video.name} frame {index}")
            labels = parse_face(aligned, parser)
            return index, FaceSource(aligned, labels, Photo(rgb), name=f"{video.name} (frame {index})")
    raise InputError(f"No face in the first {search} frames of {video.name}.")
