"""``e4s-studio edit`` on real photos: a full-size photo back, the edit where asked, bad input refused."""

import cv2
import numpy as np
import pytest
from conftest import random_network, tiny_config
from photos import astronaut, grace_hopper
from PIL import Image

from app.cli import main
from e4s_core import save_model
from e4s_core.photo.io import write_photo
from e4s_core.photo.parse import parse_face
from e4s_core.photo.pipeline import open_face
from e4s_core.regions import region_id


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit")
    model = save_model(random_network(tiny_config()), folder / "tiny.pt")
    photo = write_photo(astronaut(), folder / "astronaut.png")
    reference = write_photo(grace_hopper(), folder / "hopper.jpg")
    return folder, str(photo), str(reference), str(model)


def run(*argv) -> int:
    return main(["edit", *map(str, argv), "--device", "cpu"])


def hair_in_photo(photo_path: str) -> np.ndarray:
    """uint8 [H, W], 1 on the photo's hair as the parser sees it."""
    opened = open_face(photo_path)
    side = opened.aligned.image.shape[0]
    labels = cv2.resize(parse_face(opened.aligned), (side, side), interpolation=cv2.INTER_NEAREST)
    hair = (labels == region_id("hair")).astype(np.uint8)
    photo = opened.photo
    return cv2.warpAffine(hair, opened.aligned.transform.crop_to_photo, (photo.width, photo.height))


def test_a_hair_edit_writes_the_whole_photo_changed_only_around_the_hair(files, capsys):
    folder, photo, reference, model = files
    out = folder / "hair.png"
    assert run(photo, "--reference", reference, "--regions", "hair", "-o", out, "--model", model) == 0
    assert "wrote" in capsys.readouterr().out

    edited, original = np.asarray(Image.open(out)).astype(int), astronaut().astype(int)
    assert edited.shape == original.shape
    moved = np.abs(edited - original).max(axis=2) > 0
    hair = hair_in_photo(photo)
    assert moved[cv2.erode(hair, np.ones((5, 5), np.uint8)) > 0].mean() > 0.8
    near = cv2.dilate(hair, np.ones((21, 21), np.uint8)) > 0
    assert not moved[~near].any(), "pixels away from the hair must be the photo's own"


def test_crop_and_render_write_the_aligned_face_at_the_crops_size(files):
    folder, photo, reference, model = files
    for extra, name in ((["--crop"], "crop.png"), (["--crop", "--render"], "render.png")):
        out = folder / name
        assert (
            run(
                photo, "--reference", reference, "--regions", "hair,skin", "-o", out, "--model", model, *extra
            )
            == 0
        )
        assert Image.open(out).size == (1024, 1024)
    photo_view, render_view = (np.asarray(Image.open(folder / n)) for n in ("crop.png", "render.png"))
    assert np.abs(photo_view.astype(int) - render_view).mean() > 5  # the raw render is not the photo


def test_edited_labels_make_a_shape_edit(files):
    folder, photo, _, model = files
    labels = parse_face(open_face(photo).aligned)
    labels[300:360, 150:360] = region_id("hair")  # hair over the lower face
    Image.fromarray(labels).save(folder / "edited_labels.png")
    out = folder / "shape.png"
    assert run(photo, "--labels", folder / "edited_labels.png", "-o", out, "--model", model) == 0
    assert np.any(np.asarray(Image.open(out)) != astronaut())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--regions", "hair"], "--reference and --regions go together"),
        ([], "Nothing to do"),
        (["--reference", "{reference}", "--regions", "beard"], "Unknown region 'beard'"),
        (
            ["--reference", "{reference}", "--regions", "hair", "--alpha", "1.5"],
            "--alpha must be between 0 and 1",
        ),
        (["--reference", "{folder}/missing.jpg", "--regions", "hair"], "missing.jpg"),
        (["--reference", "{folder}/blank.png", "--regions", "hair"], "blank.png"),
        (["--reference", "{reference}", "--regions", "ear_rings"], "has no Earrings"),
    ],
)
def test_bad_input_is_one_line_and_leaves_the_output_untouched(files, capsys, argv, message):
    folder, photo, reference, model = files
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(folder / "blank.png")  # no face in it
    out = folder / "existing.png"
    out.write_bytes(b"the user's earlier work")
    argv = [a.format(folder=folder, reference=reference) for a in argv]

    assert run(photo, *argv, "-o", out, "--model", model) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("e4s-studio: ") and message in err
    assert out.read_bytes() == b"the user's earlier work"


@pytest.mark.parametrize("output", ["no_such_folder/out.png", "out.xyz"])
def test_an_unwritable_output_is_refused_before_any_work(files, capsys, output):
    folder, photo, reference, model = files
    assert (
        run(photo, "--reference", reference, "--regions", "hair", "-o", folder / output, "--model", model)
        == 2
    )
    captured = capsys.readouterr()
    assert captured.err.startswith("e4s-studio: Cannot write") and "loaded" not in captured.out


def test_a_photo_without_a_face_is_refused(files, capsys):
    folder, _, reference, model = files
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(folder / "blank.png")
    assert (
        run(folder / "blank.png", "--reference", reference, "--regions", "hair", "-o", folder / "o.png") == 2
    )
    assert "face" in capsys.readouterr().err.lower()
