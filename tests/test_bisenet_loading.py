"""Loading a BiSeNet parser file: the layouts people have load, everything else is refused clearly."""

import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

from e4s_core.errors import CheckpointError
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.photo.bisenet import BiSeNet
from e4s_core.photo.parse import LandmarkParser, describe_parser, load_parser


@pytest.fixture(scope="module")
def state():
    torch.manual_seed(0)
    return BiSeNet().state_dict()


def save(path, payload):
    torch.save(payload, path)
    return path


def test_the_plain_state_dict_loads_and_parses_any_crop_size(tmp_path, state):
    parser = load_parser(save(tmp_path / "79999_iter.pth", state))
    assert describe_parser(parser) == "BiSeNet (79999_iter.pth)"
    crop = AlignedFace(
        np.full((256, 256, 3), 120, np.uint8), AlignmentTransform.identity(256, (256, 256)), None
    )
    labels = parser.parse(crop)  # resized to 1024 first, as E4S's parser expects
    assert labels.shape == (512, 512) and labels.dtype == np.uint8 and labels.max() < 12


@pytest.mark.parametrize("variant", ["module. prefixes", "no batch counters", "both"])
def test_the_variants_in_circulation_load(tmp_path, state, variant):
    payload = OrderedDict(state)
    if variant != "module. prefixes":
        payload = OrderedDict((k, v) for k, v in payload.items() if not k.endswith("num_batches_tracked"))
    if variant != "no batch counters":
        payload = OrderedDict(("module." + k, v) for k, v in payload.items())
    parser = load_parser(save(tmp_path / "parser.pth", payload))
    loaded = parser.network.state_dict()
    assert all(
        torch.equal(loaded[k].cpu(), v) for k, v in state.items() if not k.endswith("num_batches_tracked")
    )


def test_a_missing_weight_is_named(tmp_path, state):
    payload = OrderedDict(state)
    del payload["ffm.conv1.weight"]
    with pytest.raises(CheckpointError, match=r"1 weights missing \(e.g. ffm.conv1.weight\)"):
        load_parser(save(tmp_path / "partial.pth", payload))


def test_a_wrong_shape_is_named(tmp_path, state):
    payload = OrderedDict(state)
    payload["conv_out.conv_out.weight"] = torch.zeros(11, 256, 1, 1)  # a parser for 11 classes
    with pytest.raises(CheckpointError, match=r"conv_out.conv_out.weight is \(11, 256, 1, 1\)"):
        load_parser(save(tmp_path / "other.pth", payload))


def test_another_networks_file_is_refused(tmp_path):
    payload = {"state_dict": {"encoder.weight": torch.zeros(3)}, "latent_avg": torch.zeros(3)}
    with pytest.raises(CheckpointError, match="is not a BiSeNet face parser file"):
        load_parser(save(tmp_path / "iteration_300000.pt", payload))


def test_a_truncated_file_is_refused(tmp_path, state):
    whole = save(tmp_path / "whole.pth", state).read_bytes()
    (tmp_path / "cut.pth").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CheckpointError, match="cut.pth is not a readable PyTorch checkpoint"):
        load_parser(tmp_path / "cut.pth")


class Payload:  # any class: unpickling it would run code from the file
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickled_code_is_never_run(tmp_path, capsys):
    path = save(tmp_path / "evil.pth", {"cp.resnet.conv1.weight": Payload()})
    with pytest.raises(CheckpointError, match=r"pickled Python objects \(print\).*only the weights"):
        load_parser(path)
    plain = tmp_path / "plain.pickle"
    plain.write_bytes(pickle.dumps({"cp.resnet.conv1.weight": Payload()}))
    with pytest.raises(CheckpointError):
        load_parser(plain)
    assert "this must never run" not in capsys.readouterr().out


def test_missing_file_and_the_built_in_name(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_parser(tmp_path / "missing.pth")
    assert isinstance(load_parser("landmarks"), LandmarkParser) and isinstance(
        load_parser(None), LandmarkParser
    )


def test_the_cli_parses_with_a_parser_file_and_refuses_a_bad_one_up_front(tmp_path, state, capsys):
    from photos import astronaut

    from app.cli import main
    from e4s_core.photo.io import write_photo

    parser_file = save(tmp_path / "79999_iter.pth", state)
    photo = write_photo(astronaut(), tmp_path / "astronaut.png")
    assert main(["parse", str(photo), "-o", str(tmp_path / "labels.png"), "--parser", str(parser_file)]) == 0
    assert (tmp_path / "labels.png").exists()
    (tmp_path / "bad.pth").write_bytes(b"not weights")
    assert (
        main(["parse", str(photo), "-o", str(tmp_path / "other.png"), "--parser", str(tmp_path / "bad.pth")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.pth" in err and not (tmp_path / "other.png").exists()


def test_the_studio_parses_with_the_chosen_parser_and_projects_record_it(window, qtbot, tmp_path, state):
    from studio_helpers import face_files, wait_idle

    from app.studio.files import choose_parser, open_project, save_project_to
    from app.studio.settings import PARSER

    parser_file = save(tmp_path / "79999_iter.pth", state)
    assert choose_parser(window, str(parser_file)) and window.settings.value(PARSER) == str(parser_file)
    assert "BiSeNet (79999_iter.pth)" in window.model_label.text()
    window.open_photo(face_files(tmp_path)[0])
    qtbot.waitUntil(lambda: window.document is not None, timeout=30000)
    wait_idle(qtbot, window)
    assert window.document.source.parser == "BiSeNet (79999_iter.pth)"
    assert save_project_to(window, str(tmp_path / "p.e4s")) and open_project(window, str(tmp_path / "p.e4s"))
    assert window.document.source.parser == "BiSeNet (79999_iter.pth)"
    assert not choose_parser(window, str(tmp_path / "missing.pth")) and "missing.pth" in window.errors[-1]
