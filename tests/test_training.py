"""Training on the synthetic corpus: learning, exact resume, refused checkpoints, DDP on CPUs, CLI errors."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import random_network, tiny_config
from training_helpers import make_trainer

from app.cli import main
from e4s_core import load_model, paths
from e4s_core.errors import CheckpointError
from e4s_core.training import LossWeights
from e4s_core.training.data import SyntheticFaceStream, faces_to_batch
from e4s_core.training.trainer import trainable_parameters

REPO = Path(__file__).resolve().parents[1]
HELPERS = Path(__file__).with_name("training_helpers.py")
NO_FEATURE_NETS = LossWeights(identity=0, parsing=0)  # mse, perceptual and adversarial
CHEAPEST = LossWeights(perceptual=0, identity=0, parsing=0)  # mse and adversarial


def _states_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _optimizer_states_equal(a: torch.optim.Optimizer, b: torch.optim.Optimizer) -> bool:
    sa, sb = a.state_dict()["state"], b.state_dict()["state"]
    return sa.keys() == sb.keys() and all(_states_equal(sa[k], sb[k]) for k in sa)


# -- learning ---------------------------------------------------------------------------------------


def test_a_few_steps_on_one_batch_reduce_the_reconstruction_error(tmp_path):
    trainer = make_trainer(tmp_path, steps=10, batch_size=2)
    batch = faces_to_batch([3, 4], 64)
    history = [trainer.train_step(batch) for _ in range(10)]
    assert set(history[0]) >= {"mse", "perceptual", "identity", "parsing", "adversarial", "discriminator"}
    assert history[-1]["mse"] < 0.5 * history[0]["mse"]
    assert history[-1]["total"] < history[0]["total"]


def test_every_trainable_parameter_gets_a_gradient_even_for_regions_absent_from_the_face(tmp_path):
    # DDP (find_unused_parameters=False) hangs or fails on a parameter left without a gradient.
    trainer = make_trainer(tmp_path, steps=1, weights=CHEAPEST)
    batch = faces_to_batch([5], 64)
    absent = 9
    batch.labels[batch.labels == absent] = 0
    trainer.train_step(batch)
    assert all(p.grad is not None for p in trainable_parameters(trainer.network))
    assert all(p.grad is None for p in trainer.network.G.style.parameters())  # frozen mapping network
    assert all(p.grad.abs().sum() == 0 for p in trainer.network.MLPs[absent].parameters())


def test_encoder_gradient_of_a_batch_is_the_sum_of_its_faces_gradients():
    # Guards the pooling layout: PyTorch's CPU InstanceNorm backward gets a channels-last gradient
    # wrong for a batch of one, which silently broke training at one face per process.
    network = random_network(tiny_config())
    batch = faces_to_batch([0, 1], 64)
    weight = network.encoder.input_layer[0].weight

    def gradient(images, labels):
        network.zero_grad()
        (network.encode(images, labels) ** 2).sum().backward()
        return weight.grad.clone()

    together = gradient(batch.images, batch.labels)
    one_by_one = gradient(batch.images[:1], batch.labels[:1]) + gradient(batch.images[1:], batch.labels[1:])
    torch.testing.assert_close(one_by_one, together, rtol=1e-4, atol=1e-4 * together.abs().max().item())


# -- checkpoints --------------------------------------------------------------------------------------


def test_resume_restores_the_run_and_continues_exactly_as_an_uninterrupted_one(tmp_path):
    uninterrupted = make_trainer(tmp_path / "a", steps=4, weights=NO_FEATURE_NETS)
    uninterrupted.fit()

    first = make_trainer(tmp_path / "b", steps=2, weights=NO_FEATURE_NETS)
    first.fit()  # checkpoints when it ends
    resumed = make_trainer(tmp_path / "b", steps=4, weights=NO_FEATURE_NETS)
    assert resumed.resume()
    assert resumed.step == 2
    assert _states_equal(resumed.network.state_dict(), first.network.state_dict())
    assert _states_equal(resumed.ema.state_dict(), first.ema.state_dict())
    assert _states_equal(resumed.discriminator.state_dict(), first.discriminator.state_dict())
    assert _optimizer_states_equal(resumed.optimizer, first.optimizer)
    assert _optimizer_states_equal(resumed.d_optimizer, first.d_optimizer)

    resumed.fit()
    assert resumed.step == 4
    assert _states_equal(resumed.network.state_dict(), uninterrupted.network.state_dict())
    assert _states_equal(resumed.ema.state_dict(), uninterrupted.ema.state_dict())
    assert _states_equal(resumed.discriminator.state_dict(), uninterrupted.discriminator.state_dict())


def test_a_run_folder_without_checkpoint_starts_fresh(tmp_path):
    trainer = make_trainer(tmp_path, steps=1, weights=CHEAPEST)
    assert not trainer.resume()
    assert trainer.step == 0


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("run")
    make_trainer(run, steps=1, weights=CHEAPEST).fit()
    return run / "latest.pt"


def test_export_model_writes_the_runs_ema_weights_for_load_model(checkpoint, tmp_path, capsys):
    output = tmp_path / "exported.pt"
    assert main(["export-model", str(checkpoint.parent), str(output), "--name", "tiny run"]) == 0
    model = load_model(output, device="cpu")
    saved = torch.load(checkpoint, weights_only=True)
    assert model.info.name == "tiny run" and model.info.metadata["training_steps"] == saved["step"]
    assert _states_equal(model.network.state_dict(), saved["ema"])


def test_export_model_from_a_folder_without_a_run_exits_2_with_one_line(tmp_path, capsys):
    assert main(["export-model", str(tmp_path), str(tmp_path / "out.pt")]) == 2
    error = capsys.readouterr().err
    assert "No training checkpoint" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out.pt").exists()


def _resume_from(path: Path, run: Path, config=None) -> None:
    run.mkdir(exist_ok=True)
    (run / "latest.pt").write_bytes(path.read_bytes())
    make_trainer(run, steps=2, weights=CHEAPEST, config=config).resume()


def test_resume_refuses_a_checkpoint_of_another_network(checkpoint, tmp_path):
    with pytest.raises(CheckpointError, match="another network configuration"):
        _resume_from(checkpoint, tmp_path / "run", config=tiny_config(style_dim=16))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "cannot be resumed"),  # cut short
        (lambda data: b"not a checkpoint at all", "cannot be resumed"),
    ],
    ids=["truncated", "garbage"],
)
def test_resume_refuses_a_damaged_checkpoint_with_a_clear_message(checkpoint, tmp_path, damage, message):
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(damage(checkpoint.read_bytes()))
    with pytest.raises(CheckpointError, match=message) as error:
        _resume_from(damaged, tmp_path / "run")
    assert "latest.pt" in str(error.value) and "\n" not in str(error.value)


def test_resume_refuses_a_torch_file_that_is_no_training_checkpoint(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(CheckpointError, match="not an e4s-studio training checkpoint"):
        _resume_from(other, tmp_path / "run")


# -- data parallel on two CPU processes -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _torchrun(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node 2 ARGS`` on CPUs; a hang fails the test instead of blocking CI."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    if sys.platform == "linux":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # gloo need not resolve the host's name
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--master-addr", "127.0.0.1", "--master-port", str(_free_port()), *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def _flat(state: dict) -> torch.Tensor:
    return torch.cat([value.flatten() for value in state.values() if value.is_floating_point()])


def test_two_cpu_processes_train_as_one_with_the_mean_gradient(tmp_path):
    steps = 3
    start = time.perf_counter()
    result = _torchrun(str(HELPERS), str(tmp_path), str(steps))
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    print(f"2-process DDP run: {seconds:.1f} s")

    assert all(rank["world_size"] == 2 and rank["step"] == steps for rank in ranks)
    for part in ("network", "ema", "discriminator"):  # DDP averaged every gradient
        assert _states_equal(ranks[0][part], ranks[1][part]), part

    streams = [SyntheticFaceStream(1, 64, rank=r, world_size=2) for r in (0, 1)]
    for rank, stream in zip(ranks, streams, strict=True):
        assert rank["seeds"] == [seed for i in range(steps) for seed in stream.seeds_of_batch(i)]
    assert not set(ranks[0]["seeds"]) & set(ranks[1]["seeds"])

    latest = torch.load(tmp_path / "latest.pt", weights_only=True)
    assert latest["step"] == steps
    assert _states_equal(latest["network"], ranks[0]["network"])
    exported = load_model(tmp_path / "model.pt", device="cpu")
    assert _states_equal(exported.network.state_dict(), ranks[0]["ema"])

    # One process with both ranks' faces as one batch computes the mean of their gradients,
    # provided both faces get the same noise, as the two identically seeded ranks draw it.
    single = make_trainer(tmp_path / "single", steps, batch_size=2)
    initial = _flat(single.network.state_dict())
    draw = single.network.G.random_noise
    single.network.G.random_noise = lambda batch, generator=None: [
        noise.expand(batch, -1, -1, -1) for noise in draw(1, generator)
    ]
    single.fit()
    # Adam divides each gradient by its own size, so parameters whose gradient is rounding noise
    # (the squeeze-excite gates: instance-normalised features average to exactly 0) move by
    # different amounts under any other summation order; the run as a whole must agree.
    for part, module in (("network", single.network), ("discriminator", single.discriminator)):
        ddp, reference = _flat(ranks[0][part]), _flat(module.state_dict())
        moved = (ddp - initial).norm() if part == "network" else 1.0
        assert (ddp - reference).norm() < 0.01 * moved, part
    assert (_flat(ranks[0]["network"]) - initial).abs().max() > 1e-4  # it trained


def test_train_command_runs_under_torchrun(tmp_path):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config().to_dict()))
    run = tmp_path / "run"
    args = ["--steps", "2", "--config", str(config), "--batch-size", "1", "--weights", "identity=0,parsing=0"]
    result = _torchrun("-m", "app.cli", "train", str(run), *args, "--workers", "0", "--device", "cpu")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "step 2/2" in result.stdout
    assert torch.load(run / "latest.pt", weights_only=True)["step"] == 2


# -- command-line errors ------------------------------------------------------------------------------------


def test_train_without_any_parser_for_identity_and_parsing_terms_exits_2_with_one_line(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(paths, "CORPUS_PARSER_FILE", tmp_path / "no-bundled-parser.pt")
    assert main(["train", str(tmp_path / "run"), "--steps", "1", "--device", "cpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert "--loss-parser" in error and "\n" not in error
    assert not (tmp_path / "run").exists()


def test_train_with_a_missing_parser_file_exits_2_with_one_line(tmp_path, capsys):
    argv = ["train", str(tmp_path / "run"), "--steps", "1", "--loss-parser", str(tmp_path / "nope.pt")]
    assert main([*argv, "--device", "cpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert "nope.pt" in error and "\n" not in error


@pytest.mark.parametrize("weights", ["colour=1", "mse=lots", "mse"])
def test_train_with_bad_weights_exits_2_with_one_line(tmp_path, capsys, weights):
    argv = ["train", str(tmp_path / "run"), "--steps", "1", "--weights", weights, "--device", "cpu"]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("e4s-studio:") and "\n" not in error


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--steps", "0", "--steps must be between 1 and 1,000,000,000, got 0"),
        ("--batch-size", "0", "--batch-size must be between 1 and 4,096, got 0"),
        ("--lr", "nan", "--lr must be between 1e-09 and 1, got nan"),
        ("--lr", "0", "--lr must be between 1e-09 and 1, got 0.0"),
        ("--max-minutes", "-5", "--max-minutes must be between 0.001 and 1e+07, got -5.0"),
        ("--checkpoint-every", "0", "--checkpoint-every must be between 1 and 1,000,000,000, got 0"),
    ],
)
def test_train_refuses_numbers_outside_their_range_before_any_work(tmp_path, capsys, option, value, said):
    argv = ["train", str(tmp_path / "run"), "--steps", "1", "--weights", "identity=0,parsing=0"]
    argv += [option, value]
    assert main([*argv, "--device", "cpu"]) == 2
    assert capsys.readouterr().err.strip() == f"e4s-studio: {said}"
    assert not (tmp_path / "run").exists()
