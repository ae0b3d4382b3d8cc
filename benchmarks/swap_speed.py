"""Seconds per face swap on this machine, step by step, with the bundled model and the authors' size.

    python benchmarks/swap_speed.py [--repeats 3] [--threads N]

Source: matplotlib's grace_hopper; target: scikit-image's astronaut (both public domain), through
the same steps as ``e4s-studio swap``: align (detect + crop both), parse (both), encode (both),
recompose (the shape and texture swap), render (the swapped state and the target's own, at the
model's size), blend (compositor at 1024 + the change pasted into the photo). The authors'
configuration runs with random weights: its time does not depend on them.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.studio.models.document import Document, FaceSource, encode_face, make_reference  # noqa: E402
from app.studio.models.result import Result, pasted_photo  # noqa: E402
from app.studio.models.swapping import plan_swap, swap_preview  # noqa: E402
from e4s_core import E4SModel, ModelInfo, load_model  # noqa: E402
from e4s_core.network import RGIConfig, RGINetwork  # noqa: E402
from e4s_core.photo.io import write_photo  # noqa: E402
from e4s_core.photo.parse import parse_face  # noqa: E402
from e4s_core.photo.pipeline import open_face  # noqa: E402
from e4s_core.rendering import render_face  # noqa: E402

STEPS = ("align", "parse", "encode", "recompose", "render", "blend")


def one_swap(model, source_path: Path, target_path: Path) -> dict[str, float]:
    times, clock = {}, time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[step] = now - clock
        clock = now

    opened = {path: open_face(path) for path in (source_path, target_path)}
    lap("align")
    sources = {
        path: FaceSource(face.aligned, parse_face(face.aligned), face.photo, path.name, path.stem)
        for path, face in opened.items()
    }
    lap("parse")
    target = Document(sources[target_path], encode_face(model, sources[target_path]))
    reference = target.add_reference(make_reference(model, sources[source_path]))
    target.compositor  # noqa: B018 (the photo's preparation belongs to blending, not encoding)
    lap("encode")
    state = swap_preview(target, plan_swap(target, reference.hash))
    lap("recompose")
    edited = render_face(model, state.labels, state.vectors)
    original = render_face(model, target.source.parsed, state.photo_vectors)
    lap("render")
    composite = target.compositor.composite(
        original, edited, state.labels, state.texture_regions, state.targets, state.replaced
    )
    pasted_photo(target.source, Result(edited, composite), "photo")
    lap("blend")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=Path("swap_speed_out"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from matplotlib import cbook
    from skimage import data

    args.out.mkdir(parents=True, exist_ok=True)
    target = write_photo(data.astronaut(), args.out / "astronaut.png")
    source = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    torch.manual_seed(0)
    authors = RGINetwork(RGIConfig())
    authors.latent_avg.normal_(0, 0.5)
    models = {
        "bundled model (256 px)": load_model(device="cpu"),
        "authors' configuration (1024 px)": E4SModel(authors, ModelInfo("authors", "", "memory")),
    }
    print(f"{'model':<34}" + "".join(f"{s:>11}" for s in STEPS) + f"{'total':>11}   (median seconds)")
    for name, model in models.items():
        runs = [one_swap(model, source, target) for _ in range(args.repeats + 1)][1:]  # the first warms up
        medians = {step: statistics.median(run[step] for run in runs) for step in STEPS}
        total = statistics.median(sum(run.values()) for run in runs)
        print(f"{name:<34}" + "".join(f"{medians[s]:>11.3f}" for s in STEPS) + f"{total:>11.3f}")
    print(f"CPU threads: {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
