"""Seconds to parse one aligned 1024 px face on this machine: the built-in parser and BiSeNet.

    python benchmarks/parser_speed.py [--parser 79999_iter.pth] [--repeats 5] [--threads N]

BiSeNet's time does not depend on its weights, so without ``--parser`` a randomly initialised
network of the authors' architecture stands in for their file. Face: scikit-image's astronaut.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e4s_core.photo.align import align_photo  # noqa: E402
from e4s_core.photo.bisenet import BiSeNet  # noqa: E402
from e4s_core.photo.parse import describe_parser, load_parser  # noqa: E402


def timed(parser, face, repeats: int) -> float:
    parser.parse(face)  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        parser.parse(face)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parser", type=Path, help="a BiSeNet file (default: random weights)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from skimage import data

    face = align_photo(data.astronaut(), size=1024)
    with tempfile.TemporaryDirectory() as folder:
        bisenet = args.parser
        if bisenet is None:
            bisenet = Path(folder) / "random_bisenet.pth"
            torch.save(BiSeNet().state_dict(), bisenet)
        for choice in ("landmarks", bisenet):
            chosen = load_parser(choice)
            seconds = timed(chosen, face, args.repeats)
            print(
                f"{describe_parser(chosen):<45} {seconds:.3f} s per 1024 px face (median of {args.repeats})"
            )
    print(f"CPU threads: {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
