"""The tiny trainer of the training tests, and one rank of their data-parallel run.

As a script it is that rank (two CPU processes under ``torch.distributed.run``):

    python -m torch.distributed.run --nproc_per_node 2 tests/training_helpers.py RUN_DIR STEPS [FACE_FOLDER]

Every rank trains ``make_trainer``'s network (on the corpus, or on a labelled face folder), then
writes its weights and the ids of the faces it trained on to RUN_DIR/rank{R}.pt for the test to
compare; rank 0 also exports RUN_DIR/model.pt.
"""

import sys
from contextlib import contextmanager
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))  # conftest, when run as a script

from conftest import tiny_config  # noqa: E402

from e4s_core.training import LossWeights, Trainer, TrainSettings  # noqa: E402
from e4s_core.training import trainer as trainer_module  # noqa: E402
from e4s_core.training.discriminator import Discriminator  # noqa: E402
from e4s_core.training.distributed import Distributed  # noqa: E402
from e4s_core.training.parser import CorpusParser  # noqa: E402

# The paper's weights, every term on: identity and parsing through a small random corpus parser,
# adversarial through a discriminator that ``make_trainer`` updates every step.
ALL_TERMS = LossWeights()


@contextmanager
def small_discriminator():
    """The trainer's discriminator at 32 px: the 128 px one would be most of a tiny step's time."""
    original = trainer_module.Discriminator
    trainer_module.Discriminator = lambda: Discriminator(input_size=32, widths=(8, 16, 16, 16))
    try:
        yield
    finally:
        trainer_module.Discriminator = original


def tiny_parser() -> CorpusParser:
    torch.manual_seed(1)
    return CorpusParser(widths=(8, 8, 16, 16, 16)).eval().requires_grad_(False)


def make_trainer(
    run_dir: Path,
    steps: int,
    batch_size: int = 1,
    weights: LossWeights = ALL_TERMS,
    distributed: Distributed | None = None,
    config=None,
    data=None,
    init=None,
    **settings_changes,
) -> Trainer:
    """A tiny trainer; ``settings_changes`` replace fields of its ``TrainSettings``."""
    settings = TrainSettings(
        steps=steps,
        batch_size=batch_size,
        lr=1e-3,
        discriminator_lr=1e-3,
        discriminator_every=1,
        weights=weights,
        checkpoint_every=10_000,  # fit() still checkpoints when it ends
        validate_every=10_000,
        validation_faces=1,
        log_every=10_000,
        data_workers=0,
        **settings_changes,
    )
    parser = tiny_parser() if weights.identity > 0 or weights.parsing > 0 else None
    with small_discriminator():
        return Trainer(
            config or tiny_config(),
            settings,
            run_dir,
            parser=parser,
            distributed=distributed,
            data=data,
            init=init,
        )


def run_rank(run_dir: Path, steps: int, face_folder: str | None = None) -> None:
    torch.set_num_threads(1)
    distributed = Distributed.from_environment("cpu")
    data = None
    if face_folder:
        from e4s_core.training.data_sources import DataChoice, open_training_data

        data = open_training_data(DataChoice.parse(f"folder:{face_folder}"), 64, 1, say=lambda _text: None)
    trainer = make_trainer(run_dir, steps, distributed=distributed, data=data)
    seeds: list[int] = []
    train_step = trainer.train_step

    def recording_step(batch):
        seeds.extend(batch.ids.tolist())
        return train_step(batch)

    trainer.train_step = recording_step
    trainer.fit()
    result = {
        "world_size": distributed.world_size,
        "step": trainer.step,
        "seeds": seeds,
        "network": trainer.network.state_dict(),
        "ema": trainer.ema.state_dict(),
        "discriminator": trainer.discriminator.state_dict(),
    }
    torch.save(result, run_dir / f"rank{distributed.rank}.pt")
    if distributed.is_main:
        trainer.export(run_dir / "model.pt")
    distributed.close()


if __name__ == "__main__":
    run_rank(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:])
