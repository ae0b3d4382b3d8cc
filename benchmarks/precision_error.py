"""Error of reduced precision against the float32 golden outputs (case A).

    python benchmarks/precision_error.py [--device cuda] [--precision float16]

Builds (once) the golden fill checkpoint with ../shared/golden/make_fill.py,
runs the authors' network in the requested precision and prints the error of
vectors, codes, the 256 px skip and the 1024 image against the official
float32 outputs, plus the render time. Defaults: float16 on CUDA, bfloat16
on CPU (float16 convolutions are not a CPU fast path).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from e4s_core import load_model, resolve_device
from e4s_core.imageio import image_to_tensor, labels_to_tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_golden import GOLDEN, fill_checkpoint  # noqa: E402  (one place builds the cache)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Over the [-1, 1] range, i.e. peak-to-peak 2."""
    mse = (a.double() - b.double()).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * np.log10(4 / mse)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", default="caseA")
    parser.add_argument("--device", default=None)
    parser.add_argument("--precision", default=None, choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = resolve_device(args.device)
    precision = args.precision or ("float16" if device.type == "cuda" else "bfloat16")

    folder = GOLDEN / args.case
    meta = json.loads((folder / "meta.json").read_text())
    model = load_model(fill_checkpoint(int(meta["fill_seed"])), device=device, precision=precision)
    image = image_to_tensor(np.asarray(Image.open(folder / "input_1024.png").convert("RGB")))
    labels = labels_to_tensor(np.array(Image.open(folder / "label_512.png")))
    expected = {k: torch.from_numpy(v).float() for k, v in np.load(folder / "outputs.npz").items()}
    with torch.inference_mode():
        vectors = model.encode(image, labels)
        codes = model.style_codes(vectors)
        layout = model.layout(labels)
        skip256 = model.render(codes, layout, size=256)
        times = []
        for _ in range(args.repeats + 1):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            result = model.render(codes, layout)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    crop = result[..., 448:704, 384:640]  # the golden keeps this crop in exact float32
    outputs = {"vectors": vectors, "codes": codes, "skip256": skip256, "crop": crop, "image": result}
    references = {
        "vectors": expected["vectors"],
        "codes": expected["codes"],
        "skip256": expected["skip256_f32"],
        "crop": expected["image_crop_f32"],
        "image": expected["image_f16"],  # stored as float16: errors below 1e-3 are its rounding
    }
    print(f"{model.describe()}, torch {torch.__version__}, golden {args.case}")
    print(f"{'output':<10}{'max abs':>10}{'mean abs':>11}{'PSNR dB':>9}")
    for name, ours in outputs.items():
        ours, reference = ours.cpu(), references[name]
        diff = (ours - reference).abs()
        print(f"{name:<10}{diff.max().item():>10.2e}{diff.mean().item():>11.2e}{psnr(ours, reference):>9.1f}")
    print(f"full render: {statistics.median(times[1:]):.3f} s (median of {args.repeats})")


if __name__ == "__main__":
    main()
