"""Fidelity of a model on held-out faces: reconstruction, region transfer, leakage (and FID).

    python benchmarks/fidelity.py [--model PATH] [--faces 200] [--pairs 200] [--batch 8]
                                  [--first-seed N] [--device cpu] [--json OUT]
    python benchmarks/fidelity.py --ablation full=a.pt,single-scale=b.pt,no-lpips=c.pt
    python benchmarks/fidelity.py --model M --dataset celebamask-hq:ROOT [--inception pt_inception.pth]
    python benchmarks/fidelity.py --model M --dataset folder:DIR [--labels DIR] [--parser P]

With ``--dataset`` the faces are real: CelebAMask-HQ's validation split (28,000-29,999) or a
folder of aligned, labelled faces (options as ``e4s-studio train``), measured at the model's
resolution; pairs are consecutive faces. ``--inception`` adds FID between the faces and their
reconstructions (the FID network's weight file; nothing is downloaded).

Reconstruction: SSIM, PSNR, RMSE (the paper's Table 1; its full model reached 0.818 / 19.85 dB /
0.105 on real faces) over ``--faces`` faces. Region transfer: for ``--pairs`` (source, reference)
pairs, every region present in both is swapped in turn; transfer is how far that region's mean
CIELAB colour moves toward the reference's (1.0 = all the way), leakage the mean ΔE change of the
other regions (definitions in ``e4s_core/fidelity.py``). Faces are seeds from ``--first-seed``
on, all among the held-out seeds (``e4s_core/synthetic/seeds.py``: never seen in training, and
apart from the training run's validation seeds). Without ``--model`` the shipped default model is measured.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from app.cli.data_options import add_data_options, data_choice
from e4s_core import E4SError, load_model
from e4s_core.fidelity import MIN_TRANSFER_DISTANCE, reconstruction_scores, transfer_scores
from e4s_core.synthetic.seeds import FIDELITY_FIRST_SEED, HELD_OUT_SEEDS

TARGETS = (  # (key, label, comparison, bound): the targets for the default model
    ("ssim", "SSIM", ">=", 0.90),
    ("psnr", "PSNR (dB)", ">=", 28.0),
    ("transfer", "transfer", ">=", 0.9),
    ("leakage", "leakage (ΔE)", "<=", 2.0),
)
FID_FEATURES = 2048  # below this many samples the covariance of the 2048 features is rank-deficient
PAPER = "paper, full model on real faces: SSIM 0.818, PSNR 19.85 dB, RMSE 0.105"


def measure(model, args: argparse.Namespace) -> dict:
    if args.dataset:
        return measure_dataset(model, args)
    face_seeds = list(range(args.first_seed, args.first_seed + args.faces))
    pair_seeds = [(args.first_seed + 2 * i, args.first_seed + 2 * i + 1) for i in range(args.pairs)]
    start = time.perf_counter()
    reconstruction = reconstruction_scores(model, face_seeds, args.batch)
    middle = time.perf_counter()
    transfers = transfer_scores(model, pair_seeds, args.batch)
    end = time.perf_counter()
    return {
        "model": model.info.source or model.info.name,
        "device": model.describe(),
        "reconstruction": reconstruction.summary(),
        "transfer": transfers.summary(),
        "per_region": transfers.per_region(),
        "seconds": {"reconstruction": middle - start, "transfer": end - middle},
    }


def measure_dataset(model, args: argparse.Namespace) -> dict:
    from e4s_core.training.data_sources import open_evaluation_data

    dataset = open_evaluation_data(data_choice(args, "dataset"), model.resolution)
    inception = features = None
    if args.inception:
        from e4s_core.inception import load_inception

        inception, features = load_inception(args.inception, model.device), {"real": [], "rendered": []}

    skipped = dataset.skipped_when_listed

    def collect(images, rendered):
        if inception is not None:
            with torch.inference_mode():
                for name, batch in (("real", images), ("rendered", rendered)):
                    features[name].append(inception.features((batch.to(model.device) + 1) / 2).cpu().numpy())

    start = time.perf_counter()
    ids = list(range(min(args.faces, len(dataset))))

    def faces(ids, size):
        batch = dataset.batch(ids)
        skipped.merge(batch.skipped)
        return batch

    reconstruction = reconstruction_scores(model, ids, args.batch, faces=faces, on_batch=collect)
    middle = time.perf_counter()
    measured = reconstruction.seeds.tolist()
    pairs = [(measured[2 * i], measured[2 * i + 1]) for i in range(min(args.pairs, len(measured) // 2))]
    transfers = transfer_scores(model, pairs, args.batch, faces=lambda ids, size: dataset.batch(ids))
    end = time.perf_counter()
    result = {
        "model": model.info.source or model.info.name,
        "device": model.describe(),
        "dataset": args.dataset,
        "skipped": skipped.summary(),
        "reconstruction": reconstruction.summary(),
        "transfer": transfers.summary(),
        "per_region": transfers.per_region(),
        "seconds": {"reconstruction": middle - start, "transfer": end - middle},
    }
    if inception is not None:
        from e4s_core.inception import frechet_distance

        real, rendered = (np.concatenate(features[name]) for name in ("real", "rendered"))
        result["reconstruction"]["fid"] = frechet_distance(real, rendered)
        result["reconstruction"]["fid_faces"] = len(real)
    return result


def targets(result: dict) -> list[tuple[str, float, str, float, bool]]:
    values = {**result["reconstruction"], **result["transfer"]}
    rows = []
    for key, label, comparison, bound in TARGETS:
        value = values[key]
        passed = value >= bound if comparison == ">=" else value <= bound
        rows.append((label, value, comparison, bound, bool(passed)))
    return rows


def print_report(result: dict, args: argparse.Namespace) -> None:
    rec, tra = result["reconstruction"], result["transfer"]
    if args.dataset:
        print(f"Fidelity on {args.dataset} ({result['skipped']})")
    else:
        last = args.first_seed + max(args.faces, 2 * args.pairs) - 1
        print(f"Fidelity on held-out synthetic faces, seeds {args.first_seed}..{last}")
    print(f"model: {result['model']}  ({result['device']}; {platform.machine()})")
    print(f"\nReconstruction, {rec['faces']} faces      mean   worst 5 %")
    print(f"  SSIM                      {rec['ssim']:7.4f}   {rec['ssim_p5']:7.4f}")
    print(f"  PSNR (dB)                 {rec['psnr']:7.2f}   {rec['psnr_p5']:7.2f}")
    print(f"  RMSE ([0, 1])             {rec['rmse']:7.4f}   {rec['rmse_p95']:7.4f}")
    if "fid" in rec:
        print(f"  FID (faces vs renders)    {rec['fid']:7.2f}   from {rec['fid_faces']} faces")
        if rec["fid_faces"] < FID_FEATURES:
            print(
                f"  (FID from fewer than {FID_FEATURES} faces is biased upward: compare only figures"
                " from the same number of faces)"
            )
    print(f"  ({PAPER})")
    print(
        f"\nRegion transfer, {tra['pairs']} pairs, {tra['tests']} swaps"
        f" ({tra['skipped']} skipped: reference colour within {MIN_TRANSFER_DISTANCE:g} ΔE)"
    )
    for label, key in (("reference's reconstruction", "transfer"), ("raw reference image", "transfer_raw")):
        print(f"  transfer to {label:27s} mean {tra[key]:.3f}  median {tra[key + '_median']:.3f}")
    print(f"  leakage into other regions (ΔE)        mean {tra['leakage']:.3f}")
    print(f"\n  {'region':12s} {'swaps':>5s} {'skipped':>7s} {'transfer':>8s} {'raw':>6s} {'leakage':>7s}")
    for name, row in result["per_region"].items():
        print(
            f"  {name:12s} {row['tests']:5d} {row['skipped']:7d} {row['transfer']:8.3f}"
            f" {row['transfer_raw']:6.3f} {row['leakage']:7.3f}"
        )
    if not args.dataset:
        print("\nTargets for the default model")
        for label, value, comparison, bound, passed in targets(result):
            print(f"  {label:14s} {value:8.3f} {comparison} {bound:<5g} {'pass' if passed else 'FAIL'}")
    seconds = result["seconds"]
    print(f"\nseconds: reconstruction {seconds['reconstruction']:.1f}, transfer {seconds['transfer']:.1f}")


def print_ablation(results: dict[str, dict]) -> None:
    width = max(8, *(len(name) for name in results))
    header = ("SSIM", 6), ("PSNR", 7), ("RMSE", 7), ("transfer", 8), ("raw", 6), ("leakage", 7)
    print(f"{'run':{width}s} " + " ".join(f"{label:>{size}s}" for label, size in header))
    for name, result in results.items():
        rec, tra = result["reconstruction"], result["transfer"]
        print(
            f"{name:{width}s} {rec['ssim']:6.4f} {rec['psnr']:7.2f} {rec['rmse']:7.4f}"
            f" {tra['transfer']:8.3f} {tra['transfer_raw']:6.3f} {tra['leakage']:7.3f}"
        )
    for name, result in results.items():
        print(f"  {name}: {result['model']} ({result['device']})")


def parse_ablation(text: str) -> dict[str, str]:
    runs = {}
    for item in text.split(","):
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ValueError(f"--ablation takes NAME=PATH,NAME=PATH; got {item!r}")
        runs[name.strip()] = path.strip()
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped default model)")
    parser.add_argument("--faces", type=int, default=200, help="faces for reconstruction")
    parser.add_argument("--pairs", type=int, default=200, help="(source, reference) pairs for transfer")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=FIDELITY_FIRST_SEED)
    parser.add_argument("--device", help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--ablation", help="compare models: NAME=PATH,NAME=PATH,...")
    add_data_options(parser, "--dataset", default=None)
    parser.add_argument(
        "--inception", type=Path, help="FID Inception weights (pt_inception-2015-12-05-*.pth)"
    )
    args = parser.parse_args(argv)

    last = args.first_seed + max(args.faces, 2 * args.pairs)
    if args.inception and not args.dataset:
        print("fidelity: --inception measures FID on real faces; give them with --dataset", file=sys.stderr)
        return 2
    if not args.dataset and (args.first_seed not in HELD_OUT_SEEDS or last > HELD_OUT_SEEDS.stop):
        print(
            f"fidelity: seeds {args.first_seed}..{last - 1} must lie in the held-out seeds"
            f" {HELD_OUT_SEEDS.start}..{HELD_OUT_SEEDS.stop - 1}"
            " (below are training faces, above the trainer's validation faces); change --first-seed",
            file=sys.stderr,
        )
        return 2
    try:
        runs = parse_ablation(args.ablation) if args.ablation else {"model": args.model}
    except ValueError as error:
        parser.error(str(error))
    try:
        results = {}
        for name, path in runs.items():
            model = load_model(path, device=args.device)
            results[name] = measure(model, args)
    except (E4SError, ValueError) as error:  # ValueError: faces that could not be measured
        print(f"fidelity: {error}", file=sys.stderr)
        return 2

    if args.ablation:
        print_ablation(results)
        output = {"runs": results}
    else:
        output = results["model"]
        print_report(output, args)
        if not args.dataset:
            output["targets"] = {label: passed for label, _, _, _, passed in targets(output)}
    output["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    if args.json:
        args.json.write_text(json.dumps(output, indent=2, allow_nan=True))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
