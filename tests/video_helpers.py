"""Test clips the tests make themselves: a real face moved by a smooth random similarity."""

from pathlib import Path

import cv2
import numpy as np
from photos import astronaut


def moving_face_frames(frames: int = 8, size: int = 192, seed: int = 0, face: np.ndarray | None = None):
    """``frames`` upright RGB frames of ``face`` (astronaut's head and shoulders) turning, scaling
    and shifting smoothly."""
    face = astronaut()[0:320, 40:360] if face is None else face  # her head and shoulders
    knots = np.random.default_rng(seed).normal(0, 1, (4, 4))
    times = np.linspace(0, 1, 4)
    centre = np.array(face.shape[1::-1]) / 2
    for t in range(frames):
        s = t / max(frames - 1, 1)
        angle, zoom, dx, dy = (np.interp(s, times, knots[:, j]) for j in range(4))
        scale = 0.8 * (1 + 0.05 * zoom) * size / face.shape[0]
        matrix = cv2.getRotationMatrix2D(tuple(centre), 4 * angle, scale)
        matrix[:, 2] += size / 2 - centre + np.array([dx, dy]) * size / 64
        yield cv2.warpAffine(face, matrix, (size, size), borderMode=cv2.BORDER_REFLECT_101)


def write_clip(
    path: Path,
    frames,
    fps: int = 24,
    codec: str = "ffv1",
    audio_seconds: float = 0.0,
) -> Path:
    """Write ``frames`` with PyAV (FFV1 by default: exact), with a sine tone if ``audio_seconds``."""
    import av

    frames = list(frames)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "bgr0" if codec == "ffv1" else "yuv420p"
        audio = container.add_stream("aac", rate=44100) if audio_seconds else None
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            t = np.arange(int(44100 * audio_seconds)) / 44100
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            frame.sample_rate = 44100
            for packet in [*audio.encode(frame), *audio.encode()]:
                container.mux(packet)
    return path


def changing_synthetic_frames(frames: int = 8, size: int = 192, seed: int = 0):
    """A synthetic face (``e4s_core.synthetic``) whose hair and skin colours drift slowly, still."""
    from e4s_core.synthetic import draw_labels, make_face, paint_image

    face = make_face(seed, size)
    start = {name: np.array(face.attributes[name]["color"], float) for name in ("hair", "skin")}
    end = {"hair": np.array([150, 90, 40.0]), "skin": start["skin"] * 0.85}
    labels = draw_labels(face.attributes, size)
    for t in range(frames):
        s = t / max(frames - 1, 1)
        attributes = {name: dict(values) for name, values in face.attributes.items()}
        for name in start:
            attributes[name]["color"] = [int(v) for v in (1 - s) * start[name] + s * end[name]]
        yield paint_image(labels, attributes, np.random.default_rng(seed))  # the same grain each frame


def talking_synthetic_frames(frames: int = 12, size: int = 256, seed: int = 1):
    """A still synthetic face whose mouth is closed in the first half of the clip and open after."""
    from e4s_core.synthetic import draw_labels, make_face, paint_image

    face = make_face(seed, size)
    for t in range(frames):
        attributes = {name: dict(values) for name, values in face.attributes.items()}
        opened = t >= frames // 2
        attributes["mouth"]["present"] = opened
        attributes["lip"]["open"] = 0.09 if opened else 0.0  # of the face's height: speaking wide
        yield paint_image(draw_labels(attributes, size), attributes, np.random.default_rng(seed))
