"""``e4s-studio video-edit`` and ``video-swap``: a texture edit or swap on every frame of a video.

e4s-studio video-edit clip.mp4 --reference ref.jpg --regions hair --alpha 0.8 -o out.mp4
e4s-studio video-swap source.jpg clip.mp4 -o out.mp4 [--amount 0.3]

The target's face keeps its own shape and expression in every frame (there is no reenactment
network: the source's face shape cannot follow the target). Output: H.264 at the input's size and
rate, its audio copied; nothing is written unless every frame was. Progress bars (frames/s, time
left) show in a terminal, not in logs.
"""

import argparse
import time
from pathlib import Path

from e4s_core.errors import InputError
from e4s_core.files import OutputFiles
from e4s_core.regions import FACE_REGIONS, REGIONS

from ..options import (
    add_face_option,
    add_model_options,
    add_parser_option,
    add_ray_option,
    face_index,
    face_parser,
    load_model,
    parser_choice,
)
from ..output import elapsed
from ..registry import command
from .edit import _region_names, _regions


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="the edited video (.mp4, .mkv, .mov)"
    )
    parser.add_argument(
        "--smooth",
        type=float,
        default=2.0,
        help="alignment smoothing over time, in frames (0: none; default 2)",
    )
    parser.add_argument(
        "--crf", type=int, default=17, help="H.264 quality, 0 lossless .. 51 worst (default 17)"
    )
    add_ray_option(parser, "frames (in chunks)")
    parser.add_argument(
        "--finetune-steps",
        type=int,
        default=0,
        help="fine-tune the generator on each frame first (the authors use 200; slow on a CPU; default 0)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="go on from the frames an interrupted run of this job finished"
    )
    parser.add_argument(
        "--lossless",
        action="store_true",
        help="write FFV1 (exact frames; use a .mkv output) instead of H.264",
    )
    add_face_option(parser, " (by size in the first frame it is seen, then followed)")
    add_parser_option(parser)
    add_model_options(parser)


def _edit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="the video to edit")
    parser.add_argument(
        "--reference", type=Path, required=True, help="the face whose region textures to take"
    )
    parser.add_argument(
        "--regions", required=True, help="regions to take, e.g. hair,skin (" + _region_names() + ")"
    )
    parser.add_argument(
        "--alpha", type=float, default=1.0, help="how much: 1 takes them (default), 0.5 halfway"
    )
    _common(parser)


def _swap_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="the face whose textures go into the video")
    parser.add_argument("video", type=Path, help="the video whose face receives them")
    parser.add_argument(
        "--amount", type=float, default=0.0, help="λ: 0 the full swap (default), 1 the video's own"
    )
    _common(parser)


def _check_numbers(args: argparse.Namespace) -> None:
    if not 0 <= args.finetune_steps <= 10_000:
        raise InputError(f"--finetune-steps must be from 0 to 10000, got {args.finetune_steps}")
    if args.ray and args.resume:
        raise InputError("--resume works without --ray (Ray runs keep no per-frame cache).")
    if args.lossless and args.output.suffix.lower() not in (".mkv", ".avi"):
        raise InputError(
            f"--lossless writes FFV1, which needs a .mkv output, not {args.output.suffix or 'none'}"
        )
    if not args.smooth >= 0 or args.smooth > 50:
        raise InputError(f"--smooth must be from 0 to 50 frames, got {args.smooth}")
    if not 0 <= args.crf <= 51:
        raise InputError(f"--crf must be from 0 (lossless) to 51, got {args.crf}")


def _video_output(path: Path):
    from e4s_core.video.io import VIDEO_SUFFIXES

    return path, VIDEO_SUFFIXES, "the edited video"


@command("video-edit", "take a reference's region textures in every frame of a video", _edit_arguments)
def video_edit(args: argparse.Namespace) -> int:
    regions = _regions(args.regions)
    if not regions:
        raise InputError("--regions names no region: e.g. --regions hair")
    if not 0 <= args.alpha <= 1:
        raise InputError(
            f"--alpha must be between 0 and 1 (1 takes the texture, 0 keeps the video's), got {args.alpha}"
        )
    return _run(args, args.reference, regions, args.alpha)


@command("video-swap", "put a face's textures on the face in every frame of a video", _swap_arguments)
def video_swap(args: argparse.Namespace) -> int:
    if not 0 <= args.amount <= 1:
        raise InputError(
            f"--amount must be between 0 and 1 (0 swaps fully, 1 keeps the video's face), got {args.amount}"
        )
    return _run(args, args.source, FACE_REGIONS, 1 - args.amount)


def _run(args: argparse.Namespace, reference_path: Path, regions: tuple[int, ...], alpha: float) -> int:
    from tqdm import tqdm

    from app.studio.models.document import load_face, make_reference
    from app.studio.models.video_edit import FrameEditor, TextureMix, edit_frames
    from e4s_core.video.io import DEFAULT_CODEC, LOSSLESS_CODECS, probe, read_frames, save_video
    from e4s_core.video.tracking import track_face

    _check_numbers(args)
    outputs = OutputFiles(_video_output(args.output))
    info = probe(args.video)
    parser = face_parser(args)
    model = load_model(args)
    start = time.perf_counter()
    reference = make_reference(model, load_face(reference_path, parser=parser))
    missing = [REGIONS[r].label for r in regions if r not in reference.labels]
    if len(missing) == len(regions):
        raise InputError(f"{reference_path.name} has no {', '.join(missing)} to take a texture from.")
    print(f"{reference_path.name} encoded in {elapsed(start)}", flush=True)
    cache = _job_cache(args, model, parser, reference, regions, alpha)
    track = cache.load_track() if args.resume else None
    if track is None:
        with tqdm(total=info.frames, desc="finding the face", unit="frame", disable=None) as bar:
            track = track_face(read_frames(args.video), face_index(args), progress=bar.update)
        cache.save_track(track)
    if not track.found_any:
        cache.remove()
        raise InputError(f"No face found in any frame of {args.video.name}; nothing to edit.")
    mix = TextureMix(reference, regions, alpha)
    bar = tqdm(total=len(track.squares), desc="editing", unit="frame", disable=None)
    report, frames = edit_frames(
        read_frames(args.video),
        track,
        FrameEditor(model, parser, mix, finetune_steps=args.finetune_steps),
        args.smooth,
        bar.update,
        cache,
    )
    if args.ray:
        from app.studio.models.video_edit import frame_plan

        from ..scale_out import edit_on_ray

        plan, report = frame_plan(track, args.smooth)
        report.edited = sum(square is not None for square in plan)
        frames = edit_on_ray(
            args.ray,
            args.video,
            model,
            parser_choice(args),
            mix,
            track,
            plan,
            bar.update,
            args.finetune_steps,
        )
    codec = LOSSLESS_CODECS[0] if args.lossless else DEFAULT_CODEC
    try:
        with outputs, bar:
            save_video(outputs.temp(args.output), frames, info, args.video, codec, args.crf)
    except BaseException:  # Ctrl-C, SIGTERM, a full disk: the frames done so far are kept
        if report.edited:
            print(f"stopped after {report.edited} frames; the same command with --resume goes on from there")
        raise
    cache.remove()
    _print_report(report, args.output)
    return 0


def _job_cache(args: argparse.Namespace, model, parser, reference, regions, alpha):
    """The per-frame cache of this exact job (a fresh one unless --resume)."""
    from app.studio.models.video_edit import FrameCache
    from e4s_core.photo.parse import describe_parser

    source = Path(model.info.source) if model.info.source else None
    settings = {
        "model": [str(source), source.stat().st_size, source.stat().st_mtime] if source else model.info.name,
        "parser": describe_parser(parser),
        "reference": reference.hash,
        "regions": list(regions),
        "alpha": alpha,
        "smooth": args.smooth,
        "face": face_index(args),
        "finetune": args.finetune_steps,
    }
    cache = FrameCache.for_job(args.video, settings)
    if not args.resume:
        cache.remove()
        cache = FrameCache(cache.folder)
    return cache


def _print_report(report, output: Path) -> None:
    resumed = f" ({report.resumed} read back from the interrupted run)" if report.resumed else ""
    print(f"wrote {output}: {report.frames} frames, {report.edited} edited{resumed}")
    carried, unchanged = report.carried, report.unchanged
    if carried:
        print(f"face not found in {len(carried)} frames, bridged from its neighbours: {_frames(carried)}")
    if unchanged:
        print(f"no face to edit in {len(unchanged)} frames, left as they were: {_frames(unchanged)}")


def _frames(indices: list[int], shown: int = 12) -> str:
    text = ", ".join(str(i) for i in indices[:shown])
    return text + (f", … ({len(indices) - shown} more)" if len(indices) > shown else "")
