"""The headless commands behind ``e4s-studio`` (see ``cli.py`` for the argument parser)."""

import argparse
import time

import torch

import e4s_core
from e4s_core import imageio

from .cli import elapsed


def run(args: argparse.Namespace) -> int:
    handlers = {
        "info": info,
        "reconstruct": reconstruct,
        "convert-checkpoint": convert_checkpoint,
        "selftest": selftest,
    }
    return handlers[args.command](args)


def _load(args) -> e4s_core.E4SModel:
    start = time.perf_counter()
    model = e4s_core.load_model(args.model, device=args.device, precision=args.precision)
    print(f"loaded {model.describe()} in {elapsed(start)}")
    return model


def info(args) -> int:
    model = _load(args)
    config = model.config
    params = sum(p.numel() for p in model.network.parameters())
    print(f"file:       {model.info.source} ({model.info.file_format} format)")
    print(f"regions:    {config.num_regions}, texture vector {config.vector_dim}-d")
    print(
        f"codes:      {config.num_w_layers} x {config.style_dim}, first {config.regional_layers} per region"
    )
    print(f"parameters: {params:,}")
    for key, value in model.info.metadata.items():
        print(f"{key + ':':<12}{value}")
    return 0


def reconstruct(args) -> int:
    imageio.check_writable_image_path(args.output)
    model = _load(args)
    rgb = imageio.read_rgb(args.image)
    labels = imageio.read_labels(args.labels, args.labels_format)
    image = imageio.image_to_tensor(rgb)
    label_tensor = torch.from_numpy(labels).long()[None]
    with torch.inference_mode():
        start = time.perf_counter()
        codes = model.style_codes(model.encode(image, label_tensor))
        encoded = time.perf_counter()
        result = model.render(codes, label_tensor, size=args.size, reference=args.reference)
    print(f"encode {encoded - start:.2f} s, render {elapsed(encoded)}")
    imageio.write_image(imageio.tensor_to_image(result), args.output)
    print(f"wrote {args.output}")
    return 0


def convert_checkpoint(args) -> int:
    written = e4s_core.checkpoint.convert_checkpoint(args.source, args.destination, args.trust_pickle)
    print(f"wrote {written}")
    return 0


def selftest(args) -> int:
    """Random small model on a synthetic face layout: fast path == reference loop."""
    from e4s_core.network import RGIConfig, RGINetwork
    from e4s_core.synthetic_layout import ellipse_face_labels

    torch.manual_seed(0)
    config = RGIConfig(
        out_size=128,
        style_dim=64,
        mapping_layers=2,
        generator_channels=(64, 64, 64, 64, 32, 16),
        regional_layers=9,
        encoder_widths=(16, 16, 32, 32, 32),
        encoder_units=(1, 1, 1, 1),
    )
    model = e4s_core.E4SModel(RGINetwork(config), e4s_core.ModelInfo("selftest", "", "memory"))
    labels = torch.from_numpy(ellipse_face_labels(128)).long()[None]
    image = torch.rand(1, 3, 128, 128) * 2 - 1
    with torch.inference_mode():
        codes = model.style_codes(model.encode(image, labels))
        start = time.perf_counter()
        fast = model.render(codes, labels)
        fast_time = elapsed(start)
        start = time.perf_counter()
        loop = model.render(codes, labels, reference=True)
        loop_time = elapsed(start)
    error = (fast - loop).abs().max().item()
    print(f"render 128 px: fast path {fast_time}, reference loop {loop_time}, max difference {error:.2e}")
    ok = error < 1e-4
    print("selftest passed" if ok else "selftest FAILED: fast path differs from the reference loop")
    return 0 if ok else 1
