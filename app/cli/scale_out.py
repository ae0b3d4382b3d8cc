"""``--ray ADDRESS``: a video job's frames, or a batch's photo pairs, done by Ray workers, in order.

Optional (``pip install "e4s-studio[ray]"``, Ray 2.x). ``--ray local`` starts a Ray instance on
this machine; ``--ray auto`` or ``--ray ray://HEAD:10001`` joins a running cluster (every node
must see the video, the model file and the reference at the same paths, e.g. on shared storage).

Photo pairs (``swap`` / ``hair``): one task per pair on actors that hold the model, the parser and
the encoded sources; the driver writes each result as it comes, in order (all-or-nothing per file).

Video: each worker is an actor that loads the model and the parser once and then edits chunk after chunk:
it reads the video itself, primes its label vote with the two frames before its chunk, parses the
key frame its first frames carry labels from, and takes up the landmarks an editor arriving from
frame 0 would hold, so every frame comes out bit for bit as
in a local run (the same intra-op thread count is used too). Workers return only each frame's
changed patch; the driver decodes the video once more, applies them in order and writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from e4s_core.errors import InputError

CHUNK_FRAMES = 24  # a second of video per task: big enough to amortise a task, small enough to spread
PRIMING_FRAMES = 2  # the label vote looks at the two frames before


def ray_module():
    try:
        import ray
    except ImportError as error:
        raise InputError(
            '--ray needs Ray: pip install "e4s-studio[ray]" (Ray 2.x), or run without --ray.'
        ) from error
    return ray


def connect(address: str) -> None:
    ray = ray_module()
    if ray.is_initialized():
        return
    try:
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise InputError(f"Cannot reach the Ray cluster at {address}: {error}") from error


class ChunkEditor:
    """A Ray actor's state: one model, one parser, one texture mix, for every chunk it gets."""

    def __init__(
        self,
        model_file: str,
        device: str | None,
        parser_choice: str,
        mix,
        threads: int,
        finetune_steps: int = 0,
    ) -> None:
        from e4s_core import load_model
        from e4s_core.photo.parse import load_parser
        from e4s_core.runtime import INTRA_OP_THREADS

        INTRA_OP_THREADS.set_default(threads)  # Ray starts workers with one; the driver had its own
        self.model = load_model(model_file or None, device=device)
        self.parser = load_parser(parser_choice)
        self.mix, self.finetune_steps = mix, finetune_steps

    def edit(self, video: str, track, plan: list, start: int, stop: int) -> list:
        """Patches of frames ``start``..``stop``-1 (None where the frame stays as it was)."""
        from app.studio.models.video_edit import FrameEditor, changed_patch
        from e4s_core.video.io import read_frame, read_frames
        from e4s_core.video.label_keys import LabelKeys

        editor = FrameEditor(self.model, self.parser, self.mix, finetune_steps=self.finetune_steps)
        editor.follow(LabelKeys.from_track(track, plan))
        # The vote of a run from frame 0 saw the last two edited frames before this chunk (not
        # necessarily the two frames just before it: faces come and go).
        primers = [i for i in range(min(start, len(plan))) if plan[i] is not None][-PRIMING_FRAMES:]
        editor.start_at(primers[0] if primers else start, track, plan)
        for index in primers:
            editor.prime(read_frame(video, index), plan[index], track.landmarks[index])
        edited = [i for i in range(start, min(stop, len(plan))) if plan[i] is not None]
        key = next((k for k in map(editor.needs_key, edited) if k is not None), None)
        if key is not None and key < start:  # the chunk's first frames carry a frame before it
            editor.prime_key(key, read_frame(video, key), plan[key], track.landmarks[key])
        patches = []
        for index, rgb in enumerate(read_frames(video, start), start=start):  # seek: nothing decoded before
            if index >= stop:
                break
            square = plan[index] if index < len(plan) else None
            if square is None:
                patches.append(None)
            else:
                patches.append(changed_patch(rgb, editor.edit(rgb, square, track.landmarks[index], index)))
        return patches


def edit_on_ray(
    address: str,
    video: Path,
    model,
    parser_choice: str,
    mix,
    track,
    plan: list,
    progress=None,
    finetune_steps: int = 0,
) -> Iterator[np.ndarray]:
    """Every frame of ``video``, edited by Ray workers where ``plan`` has a square."""
    import torch

    from app.studio.models.video_edit import apply_patch
    from e4s_core.video.io import read_frames

    ray = ray_module()
    connect(address)
    workers = max(1, int(ray.available_resources().get("CPU", 1)))
    actor = ray.remote(num_cpus=1)(ChunkEditor)
    device = str(model.device) if model.device.type != "cpu" else "cpu"
    editors = [
        actor.remote(model.info.source, device, parser_choice, mix, torch.get_num_threads(), finetune_steps)
        for _ in range(workers)
    ]
    chunks = [(start, min(start + CHUNK_FRAMES, len(plan))) for start in range(0, len(plan), CHUNK_FRAMES)]
    pending = [
        editors[i % workers].edit.remote(str(video), track, plan, start, stop)
        for i, (start, stop) in enumerate(chunks)
    ]
    frames = read_frames(video)
    try:
        for reference in pending:
            for patch in ray.get(reference):
                rgb = next(frames)
                yield rgb if patch is None else apply_patch(rgb, patch)
                if progress is not None:
                    progress()
        yield from frames  # frames past the tracked ones (none, unless the file grew)
    finally:  # done, failed or interrupted: the workers and their queued chunks go
        for editor in editors:
            ray.kill(editor)


def render_pairs_on_ray(
    address: str, pairs: list, renderer_class, model, parser_choice: str, face: int, crop: bool, make_state
):
    """Each pair's (image, photo) rendered by ``renderer_class`` actors, yielded in ``pairs``' order;
    an ``E4SError`` of a pair is yielded in its place (a batch goes on)."""
    import torch

    from e4s_core.errors import E4SError

    ray = ray_module()
    connect(address)
    workers = max(1, min(len(pairs), int(ray.available_resources().get("CPU", 1))))
    device = "cpu" if model.device.type == "cpu" else str(model.device)
    settings = (model.info.source, device, parser_choice, face, crop, make_state, torch.get_num_threads())

    class PairWorker:  # holds plain settings only: Ray ships the class, not the loaded model
        def __init__(self):
            self.renderer = renderer_class.on_worker(*settings)

        def render(self, source, target):
            try:
                return self.renderer.render(source, target)
            except E4SError as error:
                return error

    actor = ray.remote(num_cpus=1)(PairWorker)
    renderers = [actor.remote() for _ in range(workers)]
    pending = [renderers[i % workers].render.remote(s, t) for i, (s, t) in enumerate(pairs)]
    try:
        for reference in pending:
            yield ray.get(reference)
    finally:
        for renderer in renderers:
            ray.kill(renderer)
