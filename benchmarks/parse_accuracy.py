"""How well the default parser finds each region of real photos, against hand annotations.

    python benchmarks/parse_accuracy.py [--grabcut] [PHOTO ANNOTATION.json ...]
    python benchmarks/parse_accuracy.py --corpus 200 [--first-seed 200000]

Without arguments: scikit-image's astronaut and matplotlib's grace_hopper against
tests/data/annotations (method and precision in its README). Each photo is aligned and parsed as
the app does; its annotation is warped into the same 512 px crop and compared region by region
(intersection over union, regions present in either map). ``--grabcut`` measures the fallback
person segmentation used where LiteRT is not installed.

``--corpus N`` parses N held-out faces of the synthetic corpus (seeds from ``--first-seed``, far
from the training seeds) against their exact labels: mean IoU per region over the faces that have
it, and how often glasses and earrings are found where they are and where they are not. The
corpus labels only the frames of glasses, not the lenses, so its eye_glass IoU is low by design.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402

from e4s_core.photo import parse as parse_module  # noqa: E402
from e4s_core.photo.annotations import annotation_in_crop, read_annotation, region_iou  # noqa: E402
from e4s_core.photo.io import write_photo  # noqa: E402
from e4s_core.photo.parse import parse_face  # noqa: E402
from e4s_core.photo.pipeline import open_face  # noqa: E402
from e4s_core.regions import LABEL_MAP_SIZE, REGIONS, region_id  # noqa: E402

ANNOTATIONS = ROOT / "tests" / "data" / "annotations"


def samples(folder: Path) -> list[tuple[Path, Path]]:
    from matplotlib import cbook
    from skimage import data

    astronaut = write_photo(data.astronaut(), folder / "astronaut.png")
    hopper = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return [(astronaut, ANNOTATIONS / "astronaut.json"), (hopper, ANNOTATIONS / "grace_hopper.json")]


def measure(photo: Path, annotation: Path) -> tuple[dict[str, float], float]:
    face = open_face(photo)
    start = time.perf_counter()
    parsed = parse_face(face.aligned)
    seconds = time.perf_counter() - start
    truth = annotation_in_crop(read_annotation(annotation), face.aligned.transform, LABEL_MAP_SIZE)
    return region_iou(parsed, truth), seconds


def measure_corpus(count: int, first_seed: int) -> None:
    from e4s_core.errors import E4SError
    from e4s_core.photo.align import aligned_as_is
    from e4s_core.synthetic import make_face

    per_region: dict[str, list[float]] = {region.name: [] for region in REGIONS}
    detected = {name: {True: [], False: []} for name in ("eye_glass", "ear_rings")}
    skipped = 0
    for seed in tqdm(range(first_seed, first_seed + count), desc="corpus faces", unit="face"):
        face = make_face(seed, LABEL_MAP_SIZE)
        try:
            parsed = parse_face(aligned_as_is(face.image, LABEL_MAP_SIZE))
        except E4SError:  # dlib finds no face in a few strongly turned or covered ones
            skipped += 1
            continue
        truth = face.labels
        for index, region in enumerate(REGIONS):
            if (truth == index).any():
                per_region[region.name].append(region_iou(parsed, truth)[region.name])
        for name, found in detected.items():
            found[bool((truth == region_id(name)).any())].append(bool((parsed == region_id(name)).any()))
    print(
        f"{count - skipped} corpus faces (seeds {first_seed}..{first_seed + count - 1}; "
        f"{skipped} without a face)"
    )
    for name, scores in per_region.items():
        if scores:
            print(f"  {name:<10} IoU {statistics.mean(scores):.3f} over {len(scores)} faces")
    for name, found in detected.items():
        print(
            f"  {name:<10} found on {sum(found[True])} of {len(found[True])} faces with them, "
            f"falsely on {sum(found[False])} of {len(found[False])} without"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="*", type=Path, help="PHOTO ANNOTATION.json pairs")
    parser.add_argument("--grabcut", action="store_true", help="separate the person with GrabCut")
    parser.add_argument("--out", type=Path, default=Path("parse_accuracy_out"))
    parser.add_argument("--corpus", type=int, metavar="N", help="measure on N synthetic corpus faces instead")
    parser.add_argument("--first-seed", type=int, default=200_000, help="the corpus faces' first seed")
    args = parser.parse_args(argv)
    if args.grabcut:
        parse_module.person_segmenter = lambda: None
    if args.corpus is not None:
        if args.corpus < 1:
            parser.error("--corpus needs at least one face")
        measure_corpus(args.corpus, args.first_seed)
        return 0
    if len(args.pairs) % 2:
        parser.error("give photos and their annotations in pairs")
    args.out.mkdir(parents=True, exist_ok=True)
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=True)) or samples(args.out)
    names = [region.name for region in REGIONS]
    print(f"{'photo':<16}{'mean':>6}" + "".join(f"{n[:9]:>10}" for n in names) + "   seconds")
    for photo, annotation in pairs:
        scores, seconds = measure(photo, annotation)
        cells = "".join(f"{scores[n]:>10.2f}" if n in scores else f"{'-':>10}" for n in names)
        print(f"{photo.stem[:15]:<16}{statistics.mean(scores.values()):>6.3f}{cells}{seconds:>10.2f}")
    print("mean over the regions present in the annotation or the parse; '-': in neither")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
