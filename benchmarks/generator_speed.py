"""Generator speed: fast regional path vs the authors' per-region loop vs plain StyleGAN2.

    python benchmarks/generator_speed.py [--size 1024] [--repeats 3] [--device cpu]

Runs on the CPU, and on CUDA too when present. Builds the authors' configuration
with random weights (speed does not depend on the values), renders a schematic
face layout, and prints median wall times of
the full render and of the 256 px preview for: the fast path, the reference
loop, and a plain StyleGAN2 forward of the same widths (every layer unmasked).
"""

import argparse
import platform
import statistics
import time

import torch

from e4s_core import E4SModel, ModelInfo, resolve_device
from e4s_core.imageio import labels_to_tensor
from e4s_core.network import RGIConfig, RGINetwork
from e4s_core.network.config import stylegan2_channels
from e4s_core.network.regional import RegionLayout
from e4s_core.regions import LABEL_MAP_SIZE
from e4s_core.runtime import tune_cpu_allocator
from e4s_core.synthetic_layout import ellipse_face_labels


def timed(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up: allocator, kernels, caches
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def benchmark(device: torch.device, args: argparse.Namespace) -> None:
    if device.type == "cpu":
        tune_cpu_allocator()  # what load_model does for CPU models
    dtype = getattr(torch, args.precision)
    torch.manual_seed(0)
    config = RGIConfig(out_size=args.size, generator_channels=stylegan2_channels(args.size))
    network = RGINetwork(config)
    network.latent_avg.normal_(0, 0.5)
    model = E4SModel(network, ModelInfo("random", "", "memory")).to(device, dtype)
    labels = labels_to_tensor(ellipse_face_labels(LABEL_MAP_SIZE)).to(device)
    layout = RegionLayout(labels, config.num_regions)
    full, preview = config.out_size, min(256, config.out_size)
    with torch.inference_mode():
        codes = model.style_codes(torch.randn(1, config.num_regions, config.vector_dim, device=device))
        plain_codes = codes[:, 6].to(dtype)  # one W+ for every layer: skin's codes
        noise = network.G.stored_noise()
        runs = {
            "fast": lambda s: model.render(codes, layout, size=s),
            "loop": lambda s: model.render(codes, layout, size=s, reference=True),
            "plain": lambda s: network.G.synthesize(plain_codes, None, noise, stop_size=s),
        }
        if args.skip_loop:
            del runs["loop"]
        results = {}
        for name, run in runs.items():
            for size in (full, preview):
                results[name, size] = timed(lambda run=run, size=size: run(size), args.repeats, device)

    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    print(f"device {device} ({where}), torch {torch.__version__}, {args.precision}")
    print(f"{'path':<8}{full:>8} px{preview:>8} px   (median of {args.repeats}, seconds)")
    for name in runs:
        print(f"{name:<8}{results[name, full]:>11.3f}{results[name, preview]:>11.3f}")
    if "loop" in runs:
        ratio = results["fast", full] / results["loop", full]
        print(f"fast/loop at {full}: {ratio:.3f}  (loop is {1 / ratio:.1f}x slower)")
    print(f"fast/plain at {full}: {results['fast', full] / results['plain', full]:.3f}")
    print(f"fast/plain at {preview}: {results['fast', preview] / results['plain', preview]:.3f}")
    share = results["fast", preview] / results["fast", full]
    print(f"preview share: the {preview} px preview costs {share:.0%} of the full {full} px render")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1024, help="output size of the authors' G")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="default: the CPU, then CUDA when present")
    parser.add_argument("--precision", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--skip-loop", action="store_true", help="do not time the slow reference loop")
    args = parser.parse_args()
    devices = [resolve_device(args.device)] if args.device else [torch.device("cpu")]
    if not args.device and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    for device in devices:
        benchmark(device, args)


if __name__ == "__main__":
    main()
