"""Synthetic face generation speed on one CPU core.

    python benchmarks/synthetic_speed.py [--size 256] [--count 300]

Generates ``count`` faces (image, exact labels, attributes) with OpenCV limited to one thread and
prints faces per second, overall and per step (sampling, label drawing, painting).
"""

import argparse
import platform
import time

import cv2
import numpy as np

from e4s_core.synthetic import draw_labels, make_face, paint_image, sample_attributes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    make_face(0, args.size)  # warm-up
    seeds = range(1, args.count + 1)

    start = time.perf_counter()
    for seed in seeds:
        make_face(seed, args.size)
    total = time.perf_counter() - start

    steps = {"sample_attributes": 0.0, "draw_labels": 0.0, "paint_image": 0.0}
    for seed in seeds:
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        attributes = sample_attributes(rng)
        t1 = time.perf_counter()
        labels = draw_labels(attributes, args.size)
        t2 = time.perf_counter()
        paint_image(labels, attributes, rng)
        t3 = time.perf_counter()
        for name, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            steps[name] += seconds

    print(f"{platform.processor() or platform.machine()}, OpenCV threads: {cv2.getNumThreads()}")
    per_face = 1e3 * total / args.count
    print(f"{args.count} faces at {args.size} px: {args.count / total:.1f} faces/s ({per_face:.2f} ms/face)")
    for name, seconds in steps.items():
        print(f"  {name:18s} {1e3 * seconds / args.count:6.2f} ms/face")


if __name__ == "__main__":
    main()
