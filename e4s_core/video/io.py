"""Video in and out with PyAV (FFmpeg's libraries inside its wheel; no system ffmpeg needed).

Frames stream through: decoding and encoding hold a few frames at a time, so memory does not grow
with the length of the video. Frames come out *upright*: a phone clip's rotation metadata is
applied while reading (faces must be upright to be found), and the output is written upright
with no rotation metadata, so it displays exactly as the input did. The audio streams are copied
packet for packet, untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write

DEFAULT_CODEC = "libx264"  # H.264: plays everywhere
DEFAULT_CRF = 17  # x264 quality: 17 is visually lossless for most material (0 = lossless)
LOSSLESS_CODECS = ("ffv1",)
VIDEO_SUFFIXES = (
    ".mp4",
    ".mkv",
    ".mov",
    ".m4v",
    ".avi",
)  # what the writer writes  # exact round trips (tests and intermediate files)
_AUDIO_COPY = {".mp4", ".mov", ".mkv", ".m4v"}  # containers that take the usual audio codecs as is


@dataclass(frozen=True)
class VideoInfo:
    width: int  # upright
    height: int
    fps: Fraction
    frames: int | None  # as the container states it (None when it does not)
    rotation: int  # degrees the stored frames are turned for display (0, 90, 180, 270)
    codec: str
    audio_streams: int


def _av():
    try:
        import av
    except ImportError as error:  # pragma: no cover - av is a dependency
        raise InputError("Video needs PyAV: pip install av") from error
    return av


def _open(path: str | Path):
    av = _av()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path.name} not found in {path.parent}; check the path.")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as error:
        raise InputError(f"{path.name} is not a video FFmpeg can read ({error}).") from error
    if not container.streams.video:
        container.close()
        raise InputError(f"{path.name} has no video stream.")
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        container.close()  # FFmpeg reads a photo as a one-frame video: not what anyone means
        raise InputError(f"{path.name} is a still image, not a video; edit photos with `e4s-studio edit`.")
    return container


def probe(path: str | Path) -> VideoInfo:
    container = _open(path)
    try:
        stream = container.streams.video[0]
        first = next(container.decode(stream), None)
        if first is None:
            raise InputError(f"{Path(path).name} has no frames.")
        rotation = _rotation(first)
        width, height = (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
        fps = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            width, height, Fraction(fps), stream.frames or None, rotation, stream.codec_context.name,
            len(container.streams.audio),
        )  # fmt: skip
    finally:
        container.close()


def _rotation(frame) -> int:
    """The display rotation PyAV reads from the frame's display matrix: 0, 90, 180 or 270."""
    return int(round(getattr(frame, "rotation", 0) / 90.0)) * 90 % 360


def _upright(frame) -> np.ndarray:
    rgb = frame.to_ndarray(format="rgb24")
    # FFmpeg's rotation is counter-clockwise: undo it by turning clockwise.
    turns = {0: 0, 90: 1, 180: 2, 270: 3}[_rotation(frame)]
    return np.ascontiguousarray(np.rot90(rgb, -turns)) if turns else rgb


def read_frames(path: str | Path, start: int = 0) -> Iterator[np.ndarray]:
    """Every frame from ``start`` (0-based) as upright uint8 RGB [H, W, 3], one at a time.

    A later ``start`` seeks to the keyframe before it instead of decoding everything before: a
    frame's number is then its timestamp times the frame rate, which is exact for constant-rate
    video; a frame whose timestamp falls between two numbers (variable rate) is an InputError
    rather than a frame given the wrong number.
    """
    av = _av()
    if start < 0:
        raise InputError(f"frame numbers start at 0, got {start}")
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        origin = stream.start_time or 0
        if start:
            try:
                container.seek(origin + int(start / rate / stream.time_base), backward=True, stream=stream)
            except av.FFmpegError:  # a file that cannot seek: decode from its first frame
                container.seek(0)
        try:
            for frame in container.decode(stream):
                if start:
                    if frame.pts is None:
                        continue
                    number = (frame.pts - origin) * stream.time_base * rate
                    if abs(number - round(number)) > 0.01:
                        raise InputError(
                            f"{Path(path).name} has a variable frame rate: frames cannot be found by"
                            " number; run without --ray, or convert it to a constant rate first."
                        )
                    if round(number) < start:
                        continue
                yield _upright(frame)
        except av.FFmpegError as error:
            raise InputError(f"{Path(path).name}: the video is damaged ({error}).") from error
    finally:
        container.close()


def read_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) as upright RGB, found by seeking."""
    frame = next(read_frames(path, index), None)
    if frame is None:
        raise InputError(f"{Path(path).name} has no frame {index}.")
    return frame


class VideoWriter:
    """Write upright RGB frames at ``info``'s size and rate; copy ``audio_from``'s audio at close.

    with VideoWriter(temp_path, info, audio_from=source) as writer:
        for frame in frames:
            writer.write(frame)
    """

    def __init__(
        self,
        path: str | Path,
        info: VideoInfo,
        audio_from: str | Path | None = None,
        codec: str = DEFAULT_CODEC,
        crf: int = DEFAULT_CRF,
    ) -> None:
        av = _av()
        self.path, self.info, self._audio_from = Path(path), info, audio_from
        self._container = av.open(str(path), mode="w", format=_format(self.path))
        self._stream = self._container.add_stream(codec, rate=info.fps)
        self._stream.width, self._stream.height = _even(info.width), _even(info.height)
        lossless = codec in LOSSLESS_CODECS
        self._stream.pix_fmt = "bgr0" if lossless else "yuv420p"
        if codec == "libx264":
            self._stream.options = {"crf": str(crf), "preset": "medium"}
        self._audio = {}
        if audio_from is not None and self.path.suffix.lower() in _AUDIO_COPY:
            source = av.open(str(audio_from))
            try:
                for stream in source.streams.audio:
                    self._audio[stream.index] = self._container.add_stream_from_template(stream)
            finally:
                source.close()
        self.frames_written = 0

    def write(self, rgb: np.ndarray) -> None:
        av = _av()
        if rgb.shape != (self.info.height, self.info.width, 3) or rgb.dtype != np.uint8:
            expected = (self.info.height, self.info.width, 3)
            raise ValueError(f"frame {rgb.dtype} {rgb.shape}, expected uint8 {expected}")
        frame = av.VideoFrame.from_ndarray(_crop_even(rgb), format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        if self._audio:
            self._copy_audio()
        self._container.close()

    def _copy_audio(self) -> None:
        av = _av()
        source = av.open(str(self._audio_from))
        try:
            streams = [s for s in source.streams.audio if s.index in self._audio]
            for packet in source.demux(streams):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = self._audio[packet.stream.index]
                self._container.mux(packet)
        finally:
            source.close()

    def abandon(self) -> None:
        """Stop without finishing the file (the caller discards it)."""
        with contextlib.suppress(Exception):  # a half-written file is thrown away anyway
            self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


def _format(path: Path) -> str | None:
    return {".mkv": "matroska", ".mp4": "mp4", ".mov": "mov", ".m4v": "mp4", ".avi": "avi"}.get(
        path.suffix.lower()
    )


def _even(side: int) -> int:
    return side - side % 2  # 4:2:0 chroma needs even sides


def _crop_even(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    return np.ascontiguousarray(rgb[: _even(height), : _even(width)])


def save_video(
    path: str | Path,
    frames: Iterator[np.ndarray],
    info: VideoInfo,
    audio_from: str | Path | None = None,
    codec: str = DEFAULT_CODEC,
    crf: int = DEFAULT_CRF,
) -> Path:
    """Write every frame of ``frames`` (and ``audio_from``'s audio) to ``path``, atomically: an
    interruption or a full disk leaves ``path`` as it was."""

    def write(temp: str) -> None:
        with VideoWriter(temp, info, audio_from=audio_from, codec=codec, crf=crf) as writer:
            for frame in frames:
                writer.write(frame)

    return atomic_write(path, write)
