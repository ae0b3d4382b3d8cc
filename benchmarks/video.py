"""Video: speed of video-edit / video-swap, temporal flicker, and memory over a long clip.

    python benchmarks/video.py [--frames 48] [--size 512] [--io-seconds 60]
    python benchmarks/video.py --frames 0 --io-seconds 600     # the 10-minute memory run alone

- Speed: frames/s of the two commands' per-frame work (tracking pass + edit pass) with the bundled
  model, 1024 px crops, on test clips made here (astronaut and grace_hopper moved by a smooth random
  similarity over ``--frames`` frames of ``--size`` px).
- Flicker: mean absolute difference of consecutive output frames inside the edited region, minus
  the same for the input frames (grey levels; target <= 1.0). The edited region is where any
  output frame differs from its input frame.
- Memory: peak resident memory while a ``--io-seconds`` 1080p clip (a short clip repeated)
  streams through the reader and the H.264 writer, sampled at each tenth: it must stay flat.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from photos import astronaut, grace_hopper  # noqa: E402
from video_helpers import changing_synthetic_frames, moving_face_frames, write_clip  # noqa: E402

from app.studio.models.document import load_face, make_reference  # noqa: E402
from app.studio.models.video_edit import FrameEditor, TextureMix, edit_frames  # noqa: E402
from e4s_core import load_model  # noqa: E402
from e4s_core.photo.io import write_photo  # noqa: E402
from e4s_core.photo.parse import load_parser  # noqa: E402
from e4s_core.regions import FACE_REGIONS, region_id  # noqa: E402
from e4s_core.video.io import VideoInfo, VideoWriter, read_frames  # noqa: E402
from e4s_core.video.quality import temporal_flicker  # noqa: E402
from e4s_core.video.tracking import track_face  # noqa: E402


def run_job(name, clip: Path, model, parser, mix) -> tuple[float, float, int]:
    frames = list(read_frames(clip))
    start = time.perf_counter()
    track = track_face(iter(frames))
    _, edited = edit_frames(iter(frames), track, FrameEditor(model, parser, mix))
    outputs = list(edited)
    seconds = time.perf_counter() - start
    return len(frames) / seconds, temporal_flicker(frames, outputs), len(frames)


def peak_memory_while_streaming(folder: Path, seconds: int) -> list[float]:
    """MB of peak RSS at each tenth of a 1080p clip streamed through reader and writer."""
    short = write_clip(folder / "short.mp4", _hd_frames(48), codec="libx264")
    info = VideoInfo(1920, 1080, 24, None, 0, "h264", 0)
    total, samples = seconds * 24, []
    with VideoWriter(folder / "long.mp4", info) as writer:
        written = 0
        while written < total:
            for frame in read_frames(short):
                writer.write(frame)
                written += 1
                if written % (total // 10) == 0:
                    samples.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                if written >= total:
                    break
    return samples


def _hd_frames(count: int):
    import cv2

    for frame in moving_face_frames(count, 540):
        yield cv2.resize(np.concatenate([frame, frame[:, ::-1]], 1), (1920, 1080))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=48, help="test clip length (0: memory only)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument(
        "--io-seconds", type=int, default=60, help="length of the 1080p memory test (0: skip)"
    )
    args = parser.parse_args()
    model = load_model(device="cpu")
    face_parser = load_parser("landmarks")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_photo(grace_hopper(), folder / "hopper.png")
        write_photo(astronaut(), folder / "astronaut.png")
        hopper = make_reference(model, load_face(folder / "hopper.png", parser=face_parser))
        jobs = {
            "video-edit (hair from grace_hopper, alpha 0.8)": TextureMix(hopper, (region_id("hair"),), 0.8),
            "video-swap (grace_hopper's face textures)": TextureMix(hopper, FACE_REGIONS, 1.0),
        }
        clips = {
            "astronaut moving": write_clip(folder / "clip.mkv", moving_face_frames(args.frames, args.size)),
            "synthetic, colours drifting": write_clip(
                folder / "synthetic.mkv", changing_synthetic_frames(args.frames, args.size)
            ),
        } if args.frames else {}  # fmt: skip
        for clip_name, clip in clips.items():
            for name, mix in jobs.items():
                fps, flick, count = run_job(name, clip, model, face_parser, mix)
                print(f"{clip_name:<28} {name:<48} {fps:5.2f} frames/s ({count} frames of {args.size} px);"
                      f" flicker {flick:+.2f} grey levels")  # fmt: skip
        if args.io_seconds:
            samples = peak_memory_while_streaming(folder, args.io_seconds)
            shown = " ".join(f"{mb:.0f}" for mb in samples)
            print(f"1080p, {args.io_seconds} s through reader and writer: peak RSS at each tenth {shown} MB")


if __name__ == "__main__":
    main()
