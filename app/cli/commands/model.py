"""Model commands: ``info`` on a model file, ``reconstruct`` a face, ``convert-checkpoint``, ``selftest``."""

import argparse
import time
from pathlib import Path

from e4s_core.files import OutputFiles, check_output_path
from e4s_core.untrusted import printable

from ..options import add_labels_format, add_model_options, image_output, load_model
from ..output import elapsed
from ..registry import command


@command("info", "load a model and describe it", add_model_options)
def info(args: argparse.Namespace) -> int:
    model = load_model(args)
    config = model.config
    params = sum(p.numel() for p in model.network.parameters())
    print(f"file:       {printable(model.info.source)} ({model.info.file_format} format)")
    print(f"regions:    {config.num_regions}, texture vector {config.vector_dim}-d")
    print(
        f"codes:      {config.num_w_layers} x {config.style_dim}, first {config.regional_layers} per region"
    )
    print(f"parameters: {params:,}")
    for key, value in model.info.metadata.items():
        print(f"{printable(key) + ':':<12}{printable(value)}")  # metadata is the file author's text
    return 0


def _reconstruct_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path, help="aligned square face image")
    parser.add_argument("labels", type=Path, help="label map image of the same face")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output image (PNG/JPEG)")
    add_labels_format(parser)
    parser.add_argument("--size", type=int, help="render stage size (e.g. 256 for the preview)")
    parser.add_argument("--reference", action="store_true", help="use the slow per-region loop")
    add_model_options(parser)


@command("reconstruct", "encode an aligned face and render it back", _reconstruct_arguments)
def reconstruct(args: argparse.Namespace) -> int:
    import torch

    from e4s_core import imageio
    from e4s_core.photo.io import read_photo, write_photo

    outputs = OutputFiles(image_output(args.output, "the reconstruction"))
    model = load_model(args)
    rgb = read_photo(args.image).rgb
    labels = imageio.labels_to_tensor(imageio.read_labels(args.labels, args.labels_format))
    image = imageio.image_to_tensor(rgb)
    with torch.inference_mode():
        start = time.perf_counter()
        codes = model.style_codes(model.encode(image, labels))
        encoded = time.perf_counter()
        result = model.render(codes, labels, size=args.size, reference=args.reference)
    print(f"encode {encoded - start:.2f} s, render {elapsed(encoded)}")
    with outputs:
        write_photo(imageio.tensor_to_image(result), outputs.temp(args.output))
    print(f"wrote {args.output}")
    return 0


def _convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow Python objects in SOURCE (runs its pickled code: only for files you trust)",
    )


@command("convert-checkpoint", "rewrite a model file as a tensors-only E4S Studio model", _convert_arguments)
def convert_checkpoint(args: argparse.Namespace) -> int:
    from e4s_core.checkpoint import convert_checkpoint as convert

    check_output_path(args.destination, (".pt", ".pth"), "the converted model")
    written = convert(args.source, args.destination, args.trust_pickle)
    print(f"wrote {written}")
    return 0


@command("selftest", "check the engine end to end (fast path, bundled model)")
def selftest(args: argparse.Namespace) -> int:
    from e4s_core.selftest import run_selftest

    report = run_selftest()
    print("\n".join(report.lines()))
    return 0 if report.passed else 1
