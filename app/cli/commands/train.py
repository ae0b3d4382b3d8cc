"""``e4s-studio train`` and ``e4s-studio train-parser``: training on the synthetic corpus or real faces.

e4s-studio train runs/default --steps 20000            # one process (CUDA if present)
torchrun --nproc_per_node 8 -m app.cli train runs/paper --config authors \
    --data celebamask-hq:CelebAMask-HQ --init stylegan2:stylegan2-ffhq-config-f.pt --steps 300000
"""

import argparse
import json
import logging
from pathlib import Path

from e4s_core.errors import InputError
from e4s_core.files import check_output_folder, check_output_path

from ..data_options import add_data_options, data_choice, labelling_progress
from ..registry import command


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="run folder: checkpoints go here; an existing run resumes")
    parser.add_argument("--steps", type=int, required=True, help="total optimisation steps")
    parser.add_argument("--batch-size", type=int, default=8, help="faces per step per process (default 8)")
    parser.add_argument("--lr", type=float, help="Adam learning rate (default: the paper's 1e-4)")
    parser.add_argument(
        "--lr-drop-at",
        type=int,
        metavar="STEP",
        help="both learning rates x 0.1 from this step (the paper: 100000)",
    )
    parser.add_argument(
        "--config",
        help="'default' (the shipped model's shape), 'authors' (the paper's 1024 px network) or a JSON"
        " file of RGIConfig fields, each optionally followed by ,FIELD=NUMBER overrides (e.g."
        " authors,pooled_stages=1); default: the --init file's shape, else 'default'",
    )
    add_data_options(parser)
    parser.add_argument(
        "--validation",
        metavar="DIR|celebamask-hq:ROOT",
        help="validation faces for --data folder:DIR (default: the folder's last ones, held out)",
    )
    parser.add_argument(
        "--init",
        metavar="KIND:FILE",
        help="first weights: authors:iteration_300000.pt (fine-tune theirs), stylegan2:FILE (a rosinality"
        " StyleGAN2 .pt, its g_ema into the generator) or model:FILE (one of ours)",
    )
    parser.add_argument(
        "--loss-parser", type=Path, help="corpus parser file (from train-parser) for the id/parsing terms"
    )
    parser.add_argument(
        "--lpips", nargs=2, type=Path, metavar=("ALEXNET", "LPIPS_LIN"), help="use real LPIPS"
    )
    parser.add_argument("--arcface", type=Path, help="IR-SE50 ArcFace weights for the real identity term")
    parser.add_argument(
        "--weights", help="loss weights, e.g. 'perceptual=0,adversarial=0' (default: the paper's)"
    )
    parser.add_argument("--max-minutes", type=float, help="stop after this long, with a checkpoint")
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--device", help="cpu or cuda (default: cuda if present)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="data loading processes per rank (default 1; the synthetic corpus takes 0 or 1)",
    )
    parser.add_argument("--export", type=Path, help="also write the EMA model here when done")


def _parse_weights(text: str | None):
    from e4s_core.training import LossWeights

    if not text:
        return LossWeights()
    values = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        if name.strip() not in LossWeights.__dataclass_fields__:
            raise InputError(
                f"unknown loss term {name!r}; terms: {', '.join(LossWeights.__dataclass_fields__)}"
            )
        try:
            values[name.strip()] = float(value)
        except ValueError as error:
            raise InputError(f"loss weight {item!r} is not name=number") from error
    return LossWeights(**values)


def _config(text: str):
    """'default', 'authors' or a JSON file, then ',field=number' overrides (the ablations' shapes)."""
    from dataclasses import replace

    from e4s_core.network import RGIConfig
    from e4s_core.training import DEFAULT_MODEL_CONFIG

    base, *overrides = text.split(",")
    if base == "default":
        config = DEFAULT_MODEL_CONFIG
    elif base == "authors":
        config = RGIConfig()
    else:
        try:
            config = RGIConfig.from_dict(json.loads(Path(base).read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise InputError(
                f"--config {base}: not 'default', 'authors' nor a readable RGIConfig JSON file ({error})"
            ) from error
    changes = {}
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in RGIConfig.__dataclass_fields__ or not value.strip().lstrip("-").isdigit():
            raise InputError(f"--config: {item!r} is not FIELD=WHOLE_NUMBER with an RGIConfig field")
        changes[name] = int(value)
    try:
        return replace(config, **changes)
    except (TypeError, ValueError) as error:
        raise InputError(f"--config {text}: {error}") from error


def _run_config(text: str | None, init):
    """--config, or the --init file's shape when --config is not given (a clash is found on loading)."""
    from e4s_core.training.initialise import config_of

    if text is None:
        return (config_of(*init) if init else None) or _config("default")
    return _config(text)


@command("train", "train an E4S network on the synthetic corpus or real faces (resumable)", _train_arguments)
def train(args: argparse.Namespace) -> int:
    from e4s_core import paper_constants, paths
    from e4s_core.training import Trainer, TrainSettings
    from e4s_core.training.data_sources import open_training_data
    from e4s_core.training.distributed import Distributed
    from e4s_core.training.initialise import parse_init
    from e4s_core.training.parser import load_parser
    from e4s_core.training.trainer import format_report

    logging.getLogger().setLevel(logging.INFO)
    check_output_folder(args.run_dir, "the run folder")  # before hours of training, not after
    if args.export:
        check_output_path(args.export, (".pt", ".pth"), "the exported model")
    weights = _parse_weights(args.weights)
    settings = TrainSettings(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=paper_constants.TRAIN_LR if args.lr is None else args.lr,
        discriminator_lr=paper_constants.TRAIN_LR if args.lr is None else args.lr,
        weights=weights,
        max_minutes=args.max_minutes,
        lr_drop_step=args.lr_drop_at,
        freeze_shared_layers=args.init is not None,
        checkpoint_every=args.checkpoint_every,
        data_workers=args.workers,
    )
    choice = data_choice(args)
    init = parse_init(args.init) if args.init else None
    config = _run_config(args.config, init)
    parser_file = args.loss_parser or (
        paths.CORPUS_PARSER_FILE if paths.CORPUS_PARSER_FILE.is_file() else None
    )
    parser = load_parser(parser_file) if parser_file else None
    if parser is None and (weights.identity > 0 or weights.parsing > 0) and not args.arcface:
        raise InputError(
            "the identity and parsing terms need --loss-parser FILE (make one with e4s-studio"
            " train-parser), or set them to 0 with --weights identity=0,parsing=0"
        )
    lpips = arcface = None
    if args.lpips or args.arcface:
        from e4s_core.training.feature_nets import load_arcface, load_lpips

        lpips = load_lpips(*args.lpips) if args.lpips else None
        arcface = load_arcface(args.arcface) if args.arcface else None
    distributed = Distributed.from_environment(args.device)
    say = print if distributed.is_main else (lambda _text: None)
    if not distributed.is_main:  # rank 0 labels an unlabelled folder first; the others read its cache
        distributed.barrier()
    data = open_training_data(
        choice,
        config.out_size,
        settings.validation_faces,
        say,
        labelling_progress() if distributed.is_main else None,
    )
    if distributed.is_main:
        distributed.barrier()
    trainer = Trainer(
        config,
        settings,
        args.run_dir,
        parser=parser,
        lpips=lpips,
        arcface=arcface,
        distributed=distributed,
        data=data,
        init=init,
    )
    if trainer.resume():
        say(f"resumed {trainer.checkpoint_path()} at step {trainer.step}")
    elif trainer.init_report is not None:
        for line in trainer.init_report.lines():
            say(line)
    trainer.fit(lambda report: print(format_report(report), flush=True))
    if trainer.skipped.total:
        say(f"faces that could not be read during training: {trainer.skipped.summary()}")
    if args.export and distributed.is_main:
        trainer.export(args.export)
        print(f"wrote {args.export}")
    distributed.close()
    return 0


def _train_parser_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path)
    parser.add_argument("--steps", type=int, default=800)


@command("train-parser", "train the small corpus face parser used by the losses", _train_parser_arguments)
def train_parser(args: argparse.Namespace) -> int:
    from e4s_core.synthetic.seeds import PARSER_ACCURACY_SEEDS
    from e4s_core.training.parser import parser_accuracy, save_parser, train_corpus_parser

    def progress(step, steps, loss, seconds):
        if step % 50 == 0 or step == steps:
            print(f"step {step}/{steps} | cross-entropy {loss:.4f} | {seconds:.0f} s", flush=True)

    check_output_path(args.output, (".pt", ".pth"), "the parser file")
    if args.steps < 1:
        raise InputError(f"--steps must be 1 or more, got {args.steps}")
    parser = train_corpus_parser(args.steps, progress=progress)
    accuracy = parser_accuracy(parser, list(PARSER_ACCURACY_SEEDS))
    print(f"held-out pixel accuracy {accuracy:.4f}")
    save_parser(parser, args.output)
    print(f"wrote {args.output}")
    return 0


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--name", help="the model's display name (default: the file name)")


@command("export-model", "write a training run's EMA weights as a model file", _export_arguments)
def export_model(args: argparse.Namespace) -> int:
    from e4s_core.training.export import export_run

    check_output_path(args.output, (".pt", ".pth"), "the model file")
    path = export_run(args.run_dir, args.output, name=args.name)
    print(f"wrote {path}")
    return 0
