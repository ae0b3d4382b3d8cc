"""``e4s-studio swap`` and ``hair`` on the real pair, in both directions, one pair and in batches."""

import shutil

import cv2
import numpy as np
import pytest
from photos import astronaut, grace_hopper
from PIL import Image

from app.cli import main
from e4s_core.photo.io import write_photo
from e4s_core.photo.parse import parse_face
from e4s_core.photo.pipeline import open_face
from e4s_core.regions import FACE_REGIONS


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    return (
        folder,
        write_photo(astronaut(), folder / "astronaut.png"),
        write_photo(grace_hopper(), folder / "hopper.png"),
    )


def face_in_photo(path) -> np.ndarray:
    """bool [H, W]: the target's face regions as the parser sees them, in the photo."""
    opened = open_face(path)
    side = opened.aligned.image.shape[0]
    labels = cv2.resize(parse_face(opened.aligned), (side, side), interpolation=cv2.INTER_NEAREST)
    face = np.isin(labels, FACE_REGIONS).astype(np.uint8)
    photo = opened.photo
    return cv2.warpAffine(face, opened.aligned.transform.crop_to_photo, (photo.width, photo.height)) > 0


@pytest.mark.parametrize("direction", ["astronaut onto hopper", "hopper onto astronaut"])
def test_a_swap_changes_the_face_and_nothing_far_from_it(photos, direction):
    folder, ast, hop = photos
    source, target = (ast, hop) if direction.startswith("astronaut") else (hop, ast)
    out = folder / f"{direction.replace(' ', '_')}.png"
    assert main(["swap", str(source), str(target), "-o", str(out), "--device", "cpu"]) == 0

    result, original = np.asarray(Image.open(out)).astype(int), np.asarray(Image.open(target)).astype(int)
    assert result.shape == original.shape  # the target photo's size
    moved = np.abs(result - original).max(axis=2) > 0
    face = face_in_photo(target)
    assert (
        moved[cv2.erode(face.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0].mean() > 0.9
    )  # the swapped area changed
    reach = cv2.dilate(face.astype(np.uint8), np.ones((61, 61), np.uint8)) > 0
    assert not moved[~reach].any()  # bit-identical away from it


def test_hair_transfer_with_shape_writes_the_persons_photo(photos):
    folder, ast, hop = photos
    out = folder / "hair.png"
    assert main(["hair", str(ast), str(hop), "-o", str(out), "--shape", "--crop", "--device", "cpu"]) == 0
    assert Image.open(out).size == (1024, 1024)


def test_a_batch_writes_every_pair_and_reports_the_bad_file(photos, capsys):
    folder, ast, hop = photos
    sources = folder / "sources"
    sources.mkdir()
    shutil.copy(ast, sources / "astronaut.png")
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(sources / "blank.png")  # no face
    targets = folder / "targets"
    targets.mkdir()
    shutil.copy(hop, targets / "hopper.png")
    out = folder / "swaps"

    assert main(["swap", str(sources), str(targets), "-o", str(out), "--device", "cpu"]) == 1  # one failed

    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["astronaut_to_hopper.png"]
    assert "1 of 2 written" in printed and "failed: blank.png to hopper.png" in printed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--amount", "1.5"], "--amount must be between 0 and 1"),
        (["--keep", "beard"], "Unknown region 'beard'"),
    ],
)
def test_bad_options_are_one_line_and_leave_the_output(photos, capsys, extra, message):
    folder, ast, hop = photos
    out = folder / "kept.png"
    out.write_bytes(b"earlier work")
    assert main(["swap", str(ast), str(hop), "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and out.read_bytes() == b"earlier work"


def test_missing_files_no_face_and_unwritable_outputs_are_refused(photos, capsys):
    folder, ast, hop = photos
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(folder / "blank.png")
    cases = [
        ([str(folder / "missing.png"), str(hop), "-o", str(folder / "a.png")], "missing.png"),
        ([str(folder / "blank.png"), str(hop), "-o", str(folder / "b.png")], "face"),
        ([str(ast), str(hop), "-o", str(folder / "no_folder" / "c.png")], "Cannot write"),
    ]
    for argv, message in cases:
        assert main(["swap", *argv, "--device", "cpu"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message.lower() in err.lower()


def test_a_batch_on_ray_writes_the_same_files_and_reports_the_same_failure(photos, tmp_path, capsys):
    pytest.importorskip("ray", reason='Ray is an optional extra: pip install "e4s-studio[ray]"')
    import ray

    folder, ast, hop = photos
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(ast, sources / "astronaut.png")
    shutil.copy(hop, sources / "hopper.png")
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(sources / "blank.png")  # no face
    targets = tmp_path / "targets"
    targets.mkdir()
    shutil.copy(hop, targets / "hopper.png")
    shutil.copy(ast, targets / "astronaut.png")
    common = ["swap", str(sources), str(targets), "--device", "cpu", "--crop"]
    assert main([*common, "-o", str(tmp_path / "local")]) == 1
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        assert main([*common, "-o", str(tmp_path / "ray"), "--ray", "local"]) == 1
    finally:
        ray.shutdown()
    printed = capsys.readouterr().out
    assert printed.count("4 of 6 written") == 2 and printed.count("failed: blank.png to hopper.png") == 2
    written = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "ray").iterdir()) and len(written) == 4
    for name in written:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()
