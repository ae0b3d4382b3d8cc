"""The headless commands behind ``e4s-studio`` (see ``cli.py`` for the argument parser)."""

import argparse
import time

import numpy as np
import torch

import e4s_core
from e4s_core import imageio
from e4s_core.errors import InputError

from .cli import elapsed


def run(args: argparse.Namespace) -> int:
    handlers = {
        "align": align,
        "parse": parse,
        "paste": paste,
        "render-project": render_project,
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
    from e4s_core.photo.io import read_photo, write_photo

    imageio.check_writable_image_path(args.output)
    model = _load(args)
    rgb = read_photo(args.image).rgb
    labels = imageio.read_labels(args.labels, args.labels_format)
    image = imageio.image_to_tensor(rgb)
    label_tensor = torch.from_numpy(labels).long()[None]
    with torch.inference_mode():
        start = time.perf_counter()
        codes = model.style_codes(model.encode(image, label_tensor))
        encoded = time.perf_counter()
        result = model.render(codes, label_tensor, size=args.size, reference=args.reference)
    print(f"encode {encoded - start:.2f} s, render {elapsed(encoded)}")
    write_photo(imageio.tensor_to_image(result), args.output)
    print(f"wrote {args.output}")
    return 0


def convert_checkpoint(args) -> int:
    written = e4s_core.checkpoint.convert_checkpoint(args.source, args.destination, args.trust_pickle)
    print(f"wrote {written}")
    return 0


def selftest(args) -> int:
    """Random small model: fast path == reference loop; then the bundled model reconstructs a face."""
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
    if not ok:
        print("selftest FAILED: fast path differs from the reference loop")
        return 1
    ok = _selftest_default_model()
    print("selftest passed" if ok else "selftest FAILED: the bundled model does not reconstruct a face")
    return 0 if ok else 1


def _selftest_default_model() -> bool:
    """The bundled model reconstructs a held-out synthetic face better than its flat mean colour."""
    from e4s_core.metrics import psnr
    from e4s_core.synthetic import TRAIN_SEED_LIMIT
    from e4s_core.training.data import faces_to_batch

    start = time.perf_counter()
    model = e4s_core.load_model()
    print(f"loaded {model.describe()} in {elapsed(start)}")
    face = faces_to_batch([TRAIN_SEED_LIMIT + 42], model.resolution)
    images = face.images.to(model.device)
    with torch.inference_mode():
        codes = model.style_codes(model.encode(images, face.labels))
        start = time.perf_counter()
        result = model.render(codes, face.labels).clamp(-1, 1)
        render_time = elapsed(start)
    score = float(psnr(result, images))
    flat = float(psnr(images.mean((2, 3), keepdim=True).expand_as(images), images))
    print(
        f"held-out synthetic face: PSNR {score:.1f} dB"
        f" (its flat mean colour: {flat:.1f} dB), render {render_time}"
    )
    return score > flat


def _face_index(args) -> int:
    if args.face < 1:
        raise InputError(f"--face counts from 1 (the largest face), got {args.face}")
    return args.face - 1


def align(args) -> int:
    from e4s_core.photo.align import save_sidecar
    from e4s_core.photo.io import write_photo
    from e4s_core.photo.pipeline import open_face

    imageio.check_writable_image_path(args.output)
    opened = open_face(args.photo, _face_index(args), args.size, aligned=False)
    aligned = opened.aligned
    write_photo(aligned.image, args.output)
    sidecar = save_sidecar(aligned, args.output, photo_path=str(args.photo))
    print(f"face {aligned.face_index + 1} of {aligned.faces_found}: wrote {args.output} and {sidecar.name}")
    return 0


def parse(args) -> int:
    from e4s_core.photo.align import load_sidecar, sidecar_path
    from e4s_core.photo.parse import parse_face
    from e4s_core.photo.pipeline import open_face
    from e4s_core.regions import to_color_mask

    imageio.check_writable_image_path(args.output)
    color_path = args.output.with_name(args.output.stem + ".color.png") if args.color is True else args.color
    if color_path is not None:
        imageio.check_writable_image_path(color_path)
    opened = open_face(args.image, _face_index(args))
    aligned = opened.aligned
    if aligned.landmarks is None and sidecar_path(args.image).exists():
        _, payload = load_sidecar(sidecar_path(args.image))
        if payload.get("landmarks") is not None:
            aligned.landmarks = np.asarray(payload["landmarks"], dtype=np.float64)
    start = time.perf_counter()
    labels = parse_face(aligned)
    imageio.write_image(labels, args.output)
    if color_path is not None:
        imageio.write_image(to_color_mask(labels), color_path)
    note = "" if opened.was_aligned else " (aligned first)"
    print(
        f"parsed in {elapsed(start)}{note}: wrote {args.output}"
        + (f" and {color_path}" if color_path else "")
    )
    return 0


def paste(args) -> int:
    from e4s_core.photo.align import aligned_as_is, load_sidecar, sidecar_path
    from e4s_core.photo.io import read_photo, write_photo
    from e4s_core.photo.parse import parse_face
    from e4s_core.photo.pipeline import paste_result

    imageio.check_writable_image_path(args.output)
    transform, _ = load_sidecar(args.alignment or sidecar_path(args.result))
    result = read_photo(args.result).rgb
    if result.shape[:2] != (transform.size, transform.size):
        raise InputError(
            f"{args.result.name} is {result.shape[1]}x{result.shape[0]}; its alignment expects a"
            f" {transform.size}x{transform.size} crop."
        )
    photo = read_photo(args.into)
    if args.labels is not None:
        labels = imageio.read_labels(args.labels)
    else:
        labels = parse_face(aligned_as_is(result, transform.size, args.result.name))
    start = time.perf_counter()
    pasted = paste_result(photo, result, transform, labels)
    write_photo(pasted, args.output, alpha=photo.alpha, icc_profile=photo.icc_profile, exif=photo.exif)
    print(f"pasted in {elapsed(start)}: wrote {args.output} ({photo.width}x{photo.height})")
    return 0


def render_project(args) -> int:
    """The studio's commands, replayed without Qt: parsed map + encoded vectors + history."""
    from app.models.document import pasted_result, render_face
    from app.models.project import load_project, replay
    from e4s_core.photo.io import write_photo

    imageio.check_writable_image_path(args.output)
    if args.photo is not None:
        imageio.check_writable_image_path(args.photo)
    document = load_project(args.project)
    model = _load(args)
    if document.base_vectors.shape[1] != model.config.vector_dim:
        raise InputError(f"{args.project.name} was made with a different model (vectors of another size).")
    labels, vectors = replay(document)
    start = time.perf_counter()
    result = render_face(model, labels, vectors)
    print(f"replayed {document.history.position} edits, rendered in {elapsed(start)}")
    write_photo(result, args.output)
    if args.photo is not None:
        pasted = pasted_result(document.source, result, labels)
        if pasted is None:
            raise InputError(f"{args.project.name} has no original photo to paste into.")
        write_photo(pasted, args.photo)
    print(f"wrote {args.output}" + (f" and {args.photo}" if args.photo else ""))
    return 0
