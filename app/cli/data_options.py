"""The options that name real face data (``train``, and ``benchmarks/fidelity.py --dataset``)."""

import argparse
from pathlib import Path

from e4s_core.imageio import LABEL_FORMATS


def add_data_options(
    parser: argparse.ArgumentParser, data_option: str = "--data", default: str | None = "synthetic"
):
    parser.add_argument(
        data_option,
        default=default,
        metavar="KIND[:PATH]",
        help="synthetic (the built-in corpus), celebamask-hq:ROOT (CelebAMask-HQ as distributed:"
        " CelebA-HQ-img/ and CelebAMask-HQ-mask-anno/) or folder:DIR (aligned faces)"
        + (f" (default {default})" if default else ""),
    )
    parser.add_argument("--labels", type=Path, help="a folder of label maps named like the images")
    parser.add_argument(
        "--labels-format",
        default="auto",
        choices=("auto", *LABEL_FORMATS),
        help="how the folder's label maps are coded (default: told from the maps)",
    )
    parser.add_argument(
        "--parser",
        metavar="landmarks|PATH",
        help="label an unlabelled folder once with this parser (e.g. the authors' 79999_iter.pth)",
    )
    parser.add_argument(
        "--label-cache", type=Path, help="where parsed labels are kept (default: the user cache)"
    )


def data_choice(args: argparse.Namespace, data_option: str = "data"):
    from e4s_core.training.data_sources import DataChoice

    return DataChoice.parse(
        getattr(args, data_option),
        labels=args.labels,
        label_format=args.labels_format,
        parser=args.parser,
        label_cache=args.label_cache,
        validation=getattr(args, "validation", None),
    )


def labelling_progress():
    """A tqdm bar for labelling a folder (shown only on a terminal), as a (done, total) callable."""
    from tqdm import tqdm

    bars = {}

    def progress(done: int, total: int) -> None:
        bar = bars.get("bar") or bars.setdefault(
            "bar", tqdm(total=total, desc="labelling", unit="face", disable=None)
        )
        bar.update(1)
        if done == total:
            bar.close()
            bars.clear()

    return progress
