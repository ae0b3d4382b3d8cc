"""Photo pipeline speed: detect + align + parse + paste-back, on a small and a large photo.

    python benchmarks/photo_pipeline.py [--repeats 3]

Uses scikit-image's astronaut (512x512, public domain) and the same photo upscaled
to 4000x3000 (bicubic, cropped), and prints the median seconds of each stage. The
paste-back step blends an unedited crop with the default face regions.
"""

import argparse
import statistics
import time

import cv2
import numpy as np
from skimage import data

from e4s_core.photo.align import align_photo
from e4s_core.photo.faces import detect_faces
from e4s_core.photo.parse import parse_face
from e4s_core.photo.paste import face_mask_from_labels, paste_back
from e4s_core.regions import FACE_REGIONS


def median_time(fn, repeats: int):
    result = fn()  # warm-up: model loading, allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(name: str, photo: np.ndarray, repeats: int) -> None:
    detect, faces = median_time(lambda: detect_faces(photo), repeats)
    align, aligned = median_time(lambda: align_photo(photo, faces=faces), repeats)
    parse, labels = median_time(lambda: parse_face(aligned), repeats)
    mask = face_mask_from_labels(labels, FACE_REGIONS, aligned.image.shape[0])
    paste, _ = median_time(
        lambda: paste_back(photo, aligned.image, aligned.transform.crop_to_photo, mask), repeats
    )
    total = detect + align + parse + paste
    height, width = photo.shape[:2]
    print(
        f"{name:<10}{width:>5}x{height:<5} detect {detect:6.3f}  align {align:6.3f}"
        f"  parse {parse:6.3f}  paste {paste:6.3f}  total {total:6.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    small = data.astronaut()
    large = cv2.resize(small, (4000, 4000), interpolation=cv2.INTER_CUBIC)[500:3500]
    print(f"median of {args.repeats} runs per stage (align includes the 1024 crop warp)")
    run("512", small, args.repeats)
    run("4000x3000", large, args.repeats)


if __name__ == "__main__":
    main()
