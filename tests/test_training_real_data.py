"""Training on real-layout data and from other weights: --init kinds, exact resume, DDP sharding, CLI."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import random_network, tiny_config
from dataset_helpers import write_face_folder
from stylegan2_plain import PlainStyleGAN2
from training_helpers import make_trainer

from app.cli import main
from e4s_core.checkpoint import save_model
from e4s_core.errors import CheckpointError, InputError
from e4s_core.network import RGINetwork
from e4s_core.training import LossWeights
from e4s_core.training.data_sources import DataChoice, open_training_data
from e4s_core.training.datasets import EpochBatches
from e4s_core.training.initialise import initialise

REPO = Path(__file__).resolve().parents[1]
HELPERS = Path(__file__).with_name("training_helpers.py")
MSE_ONLY = LossWeights(perceptual=0, identity=0, parsing=0, adversarial=0)
AUTHORS_UNITS = (3, 4, 14, 3)  # what the authors' layout implies (checkpoint.AUTHORS_ENCODER_UNITS)


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faces")
    write_face_folder(folder, 6)
    return folder


def _data(folder: Path, validation_faces: int = 2):
    return open_training_data(DataChoice.parse(f"folder:{folder}"), 64, validation_faces, say=lambda _t: None)


def _stylegan2_file(path: Path, config, latent_avg: bool = True, **extra) -> tuple[Path, dict]:
    torch.manual_seed(7)
    plain = PlainStyleGAN2(
        config.out_size, config.style_dim, config.mapping_layers, config.generator_channels
    )
    payload = {"g_ema": plain.state_dict(), **extra}
    if latent_avg:
        payload["latent_avg"] = torch.randn(config.style_dim)
    torch.save(payload, path)
    return path, payload


# -- --init stylegan2: --------------------------------------------------------------------------
def test_stylegan2_init_takes_every_generator_tensor_and_only_lacks_what_e4s_adds(tmp_path):
    config = tiny_config()
    file, payload = _stylegan2_file(tmp_path / "sg2.pt", config, d={"convs.0.0.weight": torch.zeros(1)})
    network = RGINetwork(config)
    report = initialise(network, "stylegan2", file)

    ours = network.state_dict()
    generator_keys = [k for k in ours if k.startswith("G.")]
    assert report.taken == generator_keys + ["latent_avg"]
    for key in generator_keys:
        assert torch.equal(ours[key], payload["g_ema"][key[2:]]), key
    # What differs between the architectures: E4S's encoder and per-region MLPs, nothing in G.
    assert report.not_in_file == [k for k in ours if k.startswith(("encoder.", "MLPs."))]
    assert {k.split(".")[0] for k in report.not_in_file} == {"encoder", "MLPs"}
    assert report.unused == ["d"]
    assert torch.equal(network.latent_avg, payload["latent_avg"].expand(config.num_w_layers, -1))
    lines = "\n".join(report.lines())
    assert "encoder.*" in lines and "MLPs.*" in lines and "d" in lines


def test_stylegan2_init_without_latent_avg_uses_the_mean_mapped_latent(tmp_path):
    config = tiny_config()
    file, _ = _stylegan2_file(tmp_path / "sg2.pt", config, latent_avg=False)
    network = RGINetwork(config)
    report = initialise(network, "stylegan2", file)
    assert any("mean of 10000 mapped z" in note for note in report.notes)
    z = torch.randn(10_000, config.style_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = network.G.style(z).mean(0)
    assert torch.allclose(network.latent_avg[0], expected) and torch.equal(
        network.latent_avg[0], network.latent_avg[-1]
    )


def test_stylegan2_init_of_another_size_says_both_sizes(tmp_path):
    file, _ = _stylegan2_file(
        tmp_path / "big.pt", tiny_config(out_size=128, generator_channels=(32, 32, 32, 16, 8, 8))
    )
    with pytest.raises(InputError, match=r"128 px.*64 px.*--config"):
        initialise(RGINetwork(tiny_config()), "stylegan2", file)


def test_a_file_without_g_ema_is_not_taken_for_stylegan2(tmp_path):
    torch.save({"generator": {}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="no g_ema"):
        initialise(RGINetwork(tiny_config()), "stylegan2", tmp_path / "other.pt")


# -- --init authors: / model: -------------------------------------------------------------------
def _authors_file(path: Path, network) -> Path:
    state = {"module." + k: v for k, v in network.state_dict().items()}
    torch.save({"state_dict": state, "latent_avg": network.latent_avg.clone()}, path)
    return path


def test_authors_and_model_init_load_every_weight_and_latent_avg(tmp_path):
    authors = random_network(tiny_config(encoder_units=AUTHORS_UNITS))
    for kind, file in (
        ("authors", _authors_file(tmp_path / "iteration_300000.pt", authors)),
        ("model", save_model(authors, tmp_path / "ours.pt")),
    ):
        network = RGINetwork(authors.config)
        initialise(network, kind, file)
        original = authors.state_dict()
        assert all(torch.equal(v, original[k]) for k, v in network.state_dict().items()), kind
        assert torch.equal(network.latent_avg, authors.latent_avg), kind
    with pytest.raises(InputError, match="use --init authors"):
        initialise(RGINetwork(authors.config), "model", tmp_path / "iteration_300000.pt")
    with pytest.raises(
        InputError, match=r"encoder_units \[3, 4, 14, 3\] in the file, \[1, 1, 2, 1\] in this run"
    ):
        initialise(RGINetwork(tiny_config()), "authors", tmp_path / "iteration_300000.pt")


@pytest.mark.parametrize("kind", ["authors", "model", "stylegan2"])
def test_a_few_steps_from_each_init_kind_reduce_the_error(tmp_path, faces, kind):
    config = tiny_config(encoder_units=AUTHORS_UNITS) if kind == "authors" else tiny_config()
    if kind == "stylegan2":
        file, _ = _stylegan2_file(tmp_path / "sg2.pt", config)
    elif kind == "authors":
        file = _authors_file(tmp_path / "a.pt", random_network(config))
    else:
        file = save_model(random_network(config), tmp_path / "m.pt")
    trainer = make_trainer(
        tmp_path / "run", 8, 2, MSE_ONLY, config=config, data=_data(faces), init=(kind, file)
    )
    assert trainer.init_report is not None
    before = trainer.validate()["psnr"]
    trainer.fit()
    assert trainer.validate()["psnr"] > before + 0.5, kind


# -- resume, sharding, the command --------------------------------------------------------------
def test_a_folder_run_resumes_bit_identically(tmp_path, faces):
    whole = make_trainer(tmp_path / "whole", 4, batch_size=2, weights=MSE_ONLY, data=_data(faces))
    whole.fit()
    first = make_trainer(tmp_path / "split", 2, batch_size=2, weights=MSE_ONLY, data=_data(faces))
    first.fit()
    second = make_trainer(tmp_path / "split", 4, batch_size=2, weights=MSE_ONLY, data=_data(faces))
    assert second.resume() and second.step == 2
    second.fit()
    for part in ("network", "ema"):
        a, b = getattr(whole, part).state_dict(), getattr(second, part).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), part


def test_resume_refuses_other_data(tmp_path, faces):
    make_trainer(tmp_path / "run", 1, batch_size=2, weights=MSE_ONLY, data=_data(faces)).fit()
    synthetic = make_trainer(tmp_path / "run", 2, batch_size=2, weights=MSE_ONLY)
    with pytest.raises(CheckpointError, match=r"trained on folder:.*not the synthetic corpus"):
        synthetic.resume()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_gloo_processes_see_disjoint_faces_of_a_folder(tmp_path):
    folder = tmp_path / "faces"
    write_face_folder(folder, 9)  # 8 train (one held out), 4 per rank per epoch
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    if sys.platform == "linux":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master-addr",
        "127.0.0.1",
    ]
    command += ["--master-port", str(_free_port()), str(HELPERS), str(tmp_path / "run"), "4", str(folder)]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / "run" / f"rank{r}.pt", weights_only=True)["seeds"] for r in (0, 1)]
    for step in range(4):  # batch size 1: one face per rank per step, never the same one
        assert ranks[0][step] != ranks[1][step]
    assert not set(ranks[0][:4]) & set(ranks[1][:4])  # one epoch: disjoint halves
    expected = [_ids(EpochBatches(8, 1, 0, rank, 2, seed=0), 4) for rank in (0, 1)]
    assert ranks == expected


def _ids(batches, count: int) -> list[int]:
    return [i for keys, _ in zip(batches, range(count), strict=False) for i, _ in keys]


def _tiny_config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(tiny_config().to_dict()))
    return path


def test_train_command_on_a_folder_with_stylegan2_init(tmp_path, faces, capsys):
    file, _ = _stylegan2_file(tmp_path / "sg2.pt", tiny_config())
    argv = [
        "train",
        str(tmp_path / "run"),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--config",
        str(_tiny_config_file(tmp_path)),
    ]
    argv += [
        "--data",
        f"folder:{faces}",
        "--init",
        f"stylegan2:{file}",
        "--weights",
        "perceptual=0,identity=0,parsing=0",
    ]
    assert main([*argv, "--workers", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"folder {faces}: 6 training faces, 6 validation faces, labels read as E4S 12-class" in out
    assert "validation on training faces: 6 faces are too few to hold 16 out" in out
    assert "initialised from stylegan2:sg2.pt" in out and "encoder.* (" in out and "step 2/2" in out
    checkpoint = torch.load(tmp_path / "run" / "latest.pt", weights_only=True)
    assert checkpoint["data"]["kind"] == "folder" and checkpoint["step"] == 2


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--data", "celebamask-hq:{tmp}", "--parser", "landmarks"], "drop --parser"),
        (["--parser", "landmarks"], "describe a real dataset"),
        (["--data", "folder:{tmp}/nowhere"], "does not exist"),
        (["--init", "stylegan2"], "expected authors:FILE"),
        (["--init", "model:{tmp}/none.pt"], "is not a file"),
        (["--data", "folder:{tmp}", "--workers", "0"], "holds no face images"),
    ],
)
def test_train_data_and_init_mistakes_exit_2_with_one_line(tmp_path, capsys, extra, said):
    extra = [item.format(tmp=tmp_path) for item in extra]
    argv = ["train", str(tmp_path / "run"), "--steps", "1", "--weights", "identity=0,parsing=0", *extra]
    assert main([*argv, "--device", "cpu"]) == 2
    error = capsys.readouterr().err.strip()
    assert said in error and "\n" not in error and "Traceback" not in error
    assert not (tmp_path / "run" / "latest.pt").exists()


# -- the authors' recipe: frozen shared layers, the learning-rate drop, config overrides --------
def test_with_a_generator_from_a_file_the_unmasked_layers_stay_as_they_came(tmp_path, faces):
    config = tiny_config()  # K = 9 of 10 W rows: to_rgbs.3 reads only latent_avg
    file, _ = _stylegan2_file(tmp_path / "sg2.pt", config)
    trainer = make_trainer(
        tmp_path / "run", 3, 2, MSE_ONLY, config=config, data=_data(faces), init=("stylegan2", file),
        freeze_shared_layers=True,
    )  # fmt: skip
    before = {k: v.clone() for k, v in trainer.network.state_dict().items()}
    trainer.fit()
    after = trainer.network.state_dict()
    frozen = [k for k in after if k.startswith(("G.to_rgbs.3.", "G.style."))]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert not torch.equal(before["G.to_rgbs.2.conv.weight"], after["G.to_rgbs.2.conv.weight"])
    resumed = make_trainer(
        tmp_path / "run", 4, batch_size=2, weights=MSE_ONLY, config=config, data=_data(faces)
    )
    with pytest.raises(CheckpointError, match="resume it the same way"):
        resumed.resume()  # started without --init: the frozen layers would differ


def test_learning_rates_drop_tenfold_at_the_step_given_and_after_a_resume(tmp_path, faces):
    trainer = make_trainer(tmp_path / "run", 3, 2, MSE_ONLY, data=_data(faces), lr_drop_step=2)
    trainer.fit()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)  # 1e-3 before step 2
    again = make_trainer(tmp_path / "run", 4, 2, MSE_ONLY, data=_data(faces), lr_drop_step=2)
    assert again.resume() and again.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)


def test_config_overrides_give_the_ablations_shapes(tmp_path, capsys):
    from app.cli.commands.train import _config

    assert _config("authors,pooled_stages=1").pooled_stages == 1
    assert _config("default,regional_layers=11").regional_layers == 11
    argv = ["train", str(tmp_path / "run"), "--steps", "1", "--config", "default,colour=3", "--device", "cpu"]
    assert main(argv) == 2
    assert "FIELD=WHOLE_NUMBER" in capsys.readouterr().err


def test_a_latent_avg_of_another_width_is_one_clear_error(tmp_path):
    config = tiny_config()
    file, _ = _stylegan2_file(tmp_path / "sg2.pt", config)
    payload = torch.load(file, weights_only=True)
    payload["latent_avg"] = torch.zeros(config.style_dim + 3)
    torch.save(payload, file)
    with pytest.raises(InputError, match="belongs to another generator"):
        initialise(RGINetwork(config), "stylegan2", file)
