"""Face swap and hair transfer: ``e4s-studio swap`` and ``e4s-studio hair`` (the studio's code path).

e4s-studio swap source.jpg target.jpg -o out.jpg [--amount 0.3] [--face-first] [--crop]
e4s-studio swap sources/ targets/ -o outputs/          # every pair: outputs/<source>_to_<target>.png
e4s-studio hair person.jpg reference.jpg -o out.jpg [--shape]
"""

import argparse
from pathlib import Path

from e4s_core.errors import E4SError, InputError
from e4s_core.regions import region_id

from ..options import (
    add_face_option,
    add_model_options,
    add_parser_option,
    add_ray_option,
    face_index,
    face_parser,
    image_output,
    load_model,
    parser_choice,
)
from ..registry import command

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def _swap_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", type=Path, help="the face to put on the target (a photo, or a folder of them)"
    )
    parser.add_argument("target", type=Path, help="the photo that receives it (a photo, or a folder of them)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="the result (a folder for several pairs)"
    )
    parser.add_argument(
        "--amount", type=float, default=0.0, help="λ: 0 the full swap (default), 1 the target"
    )
    parser.add_argument("--face-first", action="store_true", help="the target's hair over the face (bangs)")
    parser.add_argument(
        "--keep", default="background,hair,eye_glass,ear_rings", help="regions whose texture the target keeps"
    )
    _pair_options(parser)


def _pair_options(parser: argparse.ArgumentParser) -> None:
    """What swap and hair share: the output's form, the face, the parser, Ray, the model."""
    parser.add_argument(
        "--crop", action="store_true", help="write the aligned 1024 crop, not the whole photo"
    )
    add_face_option(parser)
    add_parser_option(parser)
    add_ray_option(parser, "pairs")
    add_model_options(parser)


@command("swap", "swap a face onto a photo (or every source onto every target)", _swap_arguments)
def swap(args: argparse.Namespace) -> int:
    from app.studio.models.swapping import plan_swap, swap_preview

    if not 0 <= args.amount <= 1:
        raise InputError(
            f"--amount must be between 0 and 1 (0 swaps fully, 1 keeps the target), got {args.amount}"
        )
    keep = _regions(args.keep, "--keep")
    sources, targets = _photos(args.source), _photos(args.target)

    def one(document, reference):
        plan = plan_swap(document, reference.hash, args.amount, not args.face_first, keep)
        return swap_preview(document, plan)

    return _run_pairs(args, sources, targets, one, "to")


def _hair_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", type=Path, help="the photo whose hair changes (or a folder)")
    parser.add_argument("reference", type=Path, help="the face whose hair to take (or a folder)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="the result (a folder for several pairs)"
    )
    parser.add_argument(
        "--shape", action="store_true", help="take the hair's outline too, not only its texture"
    )
    _pair_options(parser)


@command("hair", "give a person another face's hair (texture, or texture and shape)", _hair_arguments)
def hair(args: argparse.Namespace) -> int:
    from app.studio.models.swapping import apply_hair

    def one(document, reference):
        apply_hair(document, reference.hash, args.shape)
        return document.snapshot()

    return _run_pairs(args, _photos(args.reference), _photos(args.person), one, "hair_on")


class PairRenderer:
    """Renders (source, target) pairs with one model and parser, encoding each source once; the
    same object runs the local loop and, under ``--ray``, each Ray worker."""

    def __init__(self, model, parser, face: int, crop: bool, make_state) -> None:
        self.model, self.parser, self.face, self.crop, self.make_state = model, parser, face, crop, make_state
        self._references: dict = {}

    @classmethod
    def on_worker(
        cls, model_file: str, device: str, parser_choice: str, face: int, crop: bool, make_state, threads
    ):
        from e4s_core import load_model
        from e4s_core.photo.parse import load_parser
        from e4s_core.runtime import INTRA_OP_THREADS

        INTRA_OP_THREADS.set_default(threads)  # round as the driver would
        return cls(
            load_model(model_file or None, device=device), load_parser(parser_choice), face, crop, make_state
        )

    def render(self, source: Path, target: Path):
        """(the image to write, the target's Photo for its metadata; None with --crop)."""
        from app.studio.models.document import Document, load_face, make_reference
        from app.studio.models.result import ResultRenderer, pasted_photo

        if source not in self._references:
            self._references[source] = make_reference(self.model, load_face(source, self.face, self.parser))
        document = Document.open(self.model, target, self.face, self.parser)
        reference = document.add_reference(self._references[source])
        result = ResultRenderer().render(self.model, document, self.make_state(document, reference))
        if self.crop:
            return result.face("photo"), None
        return pasted_photo(document.source, result, "photo"), document.source.photo


def _run_pairs(args, sources: list[Path], targets: list[Path], make_state, joiner: str) -> int:
    """Every (source, target) pair through ``make_state(document, reference) -> FaceState``."""
    from tqdm import tqdm

    from e4s_core.files import OutputFiles
    from e4s_core.photo.io import write_photo

    batch = len(sources) * len(targets) > 1 or args.output.is_dir()
    if batch:
        if args.output.exists() and not args.output.is_dir():
            raise InputError(f"{args.output} is a file; several pairs need a folder for their outputs.")
        try:
            args.output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"Cannot create the folder {args.output}: {error.strerror or error}.") from error
    single = None if batch else OutputFiles(image_output(args.output, "the result"))
    model = load_model(args)
    pairs = [
        (s, t) for t in targets for s in sources if not (batch and s == t)
    ]  # a face onto itself: only if asked
    if args.ray:
        from ..scale_out import render_pairs_on_ray

        rendered = render_pairs_on_ray(
            args.ray, pairs, PairRenderer, model, parser_choice(args), face_index(args), args.crop, make_state
        )
    else:
        renderer = PairRenderer(model, face_parser(args), face_index(args), args.crop, make_state)
        rendered = (_attempt(renderer.render, source, target) for source, target in pairs)
    failures = []
    for (source, target), outcome in tqdm(
        zip(pairs, rendered, strict=True), total=len(pairs), desc="pairs", unit="pair", disable=not batch
    ):
        out = args.output / f"{source.stem}_{joiner}_{target.stem}.png" if batch else args.output
        try:
            if isinstance(outcome, E4SError):
                raise outcome
            image, photo = outcome
            with single or OutputFiles(image_output(out, "the result")) as outputs:
                if photo is None:
                    write_photo(image, outputs.temp(out))
                else:
                    write_photo(
                        image,
                        outputs.temp(out),
                        alpha=photo.alpha,
                        icc_profile=photo.icc_profile,
                        exif=photo.exif,
                    )
        except E4SError as error:
            if not batch:
                raise
            failures.append(f"{source.name} {joiner} {target.name}: {error}")
            continue
        if not batch:
            print(f"wrote {out}")
    if batch:
        print(f"{len(pairs) - len(failures)} of {len(pairs)} written to {args.output}")
        for failure in failures:
            print(f"  failed: {failure}")
    return 1 if failures else 0


def _attempt(render, source: Path, target: Path):
    """The rendered pair, or the E4SError that stopped it (a batch goes on with the next pair)."""
    try:
        return render(source, target)
    except E4SError as error:
        return error


def _photos(path: Path) -> list[Path]:
    if path.is_dir():
        photos = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not photos:
            raise InputError(f"{path} holds no photos ({', '.join(IMAGE_SUFFIXES)}).")
        return photos
    if not path.exists():
        raise InputError(f"{path.name} not found in {path.parent}; check the path.")
    return [path]


def _regions(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({region_id(name) for name in text.split(",") if name.strip()}))
    except ValueError as error:
        raise InputError(f"{option}: {error}") from error
