"""Face search in large photos: the time to find a small face, and to say there is none.

    python benchmarks/face_search.py [--repeats 3]

scikit-image's astronaut face is shrunk to 40, 75 and 150 px and set into a 4000x3000 photo
(blurred noise, so nothing else looks like a face); a photo without a face is searched too.
The first search runs on a 1024 px copy; where it finds nothing, the full-resolution search
runs in tiles on every core (``e4s_core.photo.faces``). Prints the median seconds and the
width of the face found.
"""

import argparse
import os
import statistics
import time

import cv2
import numpy as np
from skimage import data

from e4s_core.photo.faces import detect_faces

WIDTH, HEIGHT = 4000, 3000


def photo_with_face(width: int | None) -> np.ndarray:
    rng = np.random.default_rng(0)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8), (0, 0), 8)
    if width:
        astronaut = data.astronaut()
        found = detect_faces(astronaut)[0].width
        face = cv2.resize(astronaut, None, fx=width / found, fy=width / found, interpolation=cv2.INTER_AREA)
        photo[1700 : 1700 + face.shape[0], 2300 : 2300 + face.shape[1]] = face
    return photo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    detect_faces(data.astronaut())  # load the landmark model before timing
    print(f"{WIDTH}x{HEIGHT} photo, {os.cpu_count()} cores, median of {args.repeats}")
    for width in (150, 75, 40, None):
        photo = photo_with_face(width)
        times, faces = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            faces = detect_faces(photo)
            times.append(time.perf_counter() - start)
        what = f"a {width} px face" if width else "no face"
        found = ", ".join(f"{face.width:.0f} px" for face in faces) or "none"
        print(f"{what:<14} {statistics.median(times):6.2f} s   found: {found}")


if __name__ == "__main__":
    main()
