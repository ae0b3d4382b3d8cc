""".e4s project files: every edit kind survives saving, old files open, bad records are named."""

import io
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import random_model

from app.cli import main
from app.studio.models.document import Document, FaceSource, encode_face, make_reference
from app.studio.models.edits import EDIT_KINDS, FitEdit
from app.studio.models.project import PROJECT_VERSION, load_project, replay, save_project
from app.studio.models.swapping import apply_hair, apply_swap, plan_swap
from e4s_core import save_model
from e4s_core.errors import InputError
from e4s_core.photo.align import AlignedFace, AlignmentTransform
from e4s_core.photo.io import Photo
from e4s_core.regions import FACE_REGIONS, region_id
from e4s_core.synthetic import make_face

VERSION_1_PROJECT = Path(__file__).parent / "data" / "project_v1.e4s"


def synthetic_source(seed: int) -> FaceSource:
    """A 64 px synthetic face inside a 112x96 'photo', with 512 px labels (a small real document)."""
    face = make_face(seed, 64)
    labels = cv2.resize(face.labels, (512, 512), interpolation=cv2.INTER_NEAREST)
    photo = Photo(cv2.copyMakeBorder(face.image, 16, 16, 24, 24, cv2.BORDER_REFLECT))
    transform = AlignmentTransform(np.array([[1.0, 0, 24], [0, 1.0, 16]]), 64, (112, 96))
    return FaceSource(AlignedFace(face.image, transform, None), labels, photo, f"face{seed}.png", str(seed))


@pytest.fixture(scope="module")
def model():
    return random_model()


def add_shape(document: Document) -> None:
    canvas = document.canvas
    canvas.active_label = region_id("hair")
    canvas.brush_radius = 5
    canvas.begin_stroke(120, 90)
    canvas.stroke_to(220, 150)
    assert canvas.end_stroke() is not None


def add_texture(document: Document, model) -> None:
    reference = document.add_reference(make_reference(model, synthetic_source(1_000_456)))
    assert document.apply_texture(reference.hash, [region_id("hair"), region_id("lip")], 0.6) is not None


def add_fit(document: Document) -> None:
    rows = list(FACE_REGIONS)
    old = document.vectors[rows].copy()
    new = old + np.float32(0.25)
    edit = FitEdit(document, FACE_REGIONS, old, new, 12.5, 14.0, 7)
    edit.redo()
    document.history.push(edit)


def add_swap(document: Document, model) -> None:
    reference = document.add_reference(make_reference(model, synthetic_source(1_000_789)))
    apply_swap(document, plan_swap(document, reference.hash, amount=0.25, hair_first=False))


def add_hair(document: Document, model) -> None:
    reference = document.add_reference(make_reference(model, synthetic_source(1_000_790)))
    apply_hair(document, reference.hash, shape=True)


MAKE_EDIT = {
    "shape": lambda document, model: add_shape(document),
    "texture": add_texture,
    "fit": lambda document, model: add_fit(document),
    "swap": add_swap,
    "hair": add_hair,
}


@pytest.fixture
def document(model):
    source = synthetic_source(1_000_123)
    document = Document(source, encode_face(model, source))
    for kind in EDIT_KINDS:
        MAKE_EDIT[kind](document, model)
    return document


def test_every_registered_edit_kind_round_trips_through_a_project_file(document, tmp_path):
    assert set(MAKE_EDIT) == set(EDIT_KINDS), "a new edit kind needs a way to make one here"
    document.history.undo()  # the last edit is saved on the redo side

    opened = load_project(save_project(document, tmp_path / "all.e4s"))

    assert [type(edit) for edit in opened.history.edits] == [type(edit) for edit in document.history.edits]
    assert opened.history.position == document.history.position == len(EDIT_KINDS) - 1
    for saved, loaded in zip(document.history.edits, opened.history.edits, strict=True):
        assert loaded.label == saved.label
        before, after = saved.to_record(), loaded.to_record()
        assert after.kind == before.kind and after.fields == before.fields
        assert after.arrays.keys() == before.arrays.keys()
        assert all(np.array_equal(after.arrays[k], before.arrays[k]) for k in before.arrays)
    assert np.array_equal(opened.canvas.labels, document.canvas.labels)
    assert np.array_equal(opened.vectors, document.vectors)
    opened.history.redo()
    document.history.redo()
    assert np.array_equal(opened.vectors, document.vectors)
    opened.history.go_to(0)
    assert np.array_equal(opened.canvas.labels, opened.source.parsed)
    assert np.array_equal(opened.vectors, opened.base_vectors)


def test_replay_reapplies_exactly_the_applied_edits(document):
    document.history.undo()
    replayed = replay(document)
    assert np.array_equal(replayed.canvas.labels, document.canvas.labels)
    assert np.array_equal(replayed.vectors, document.vectors)
    assert replayed.history.position == len(replayed.history.edits) == document.history.position


def test_a_version_1_project_opens_with_its_whole_history(tmp_path):
    opened = load_project(VERSION_1_PROJECT)

    assert [edit.kind for edit in opened.history.edits] == ["shape", "texture", "fit", "shape"]
    assert [edit.label for edit in opened.history.edits] == [
        "Brush: Hair",
        "Texture 75% from face1000456.png: Hair, Skin",
        "Fit to photo: PSNR 4.6 → 5.0 dB",
        "Fill: Ears",
    ]
    assert opened.history.position == 3  # the fill was undone when it was saved
    replayed = replay(opened)
    assert np.array_equal(replayed.canvas.labels, opened.canvas.labels)
    assert np.array_equal(replayed.vectors, opened.vectors)
    assert not np.array_equal(replayed.vectors, opened.base_vectors)

    resaved = load_project(save_project(opened, tmp_path / "v2.e4s"))
    with zipfile.ZipFile(tmp_path / "v2.e4s") as archive:
        assert json.loads(archive.read("manifest.json"))["version"] == PROJECT_VERSION
    resaved.history.redo()
    opened.history.redo()
    assert np.array_equal(resaved.canvas.labels, opened.canvas.labels)


def test_a_version_1_project_renders_headless(tmp_path, capsys):
    model_file = save_model(random_model().network, tmp_path / "tiny.pt")
    output = tmp_path / "face.png"
    argv = ["render-project", str(VERSION_1_PROJECT), "-o", str(output), "--model", str(model_file)]
    assert main([*argv, "--device", "cpu"]) == 0
    assert "replayed 3 edits" in capsys.readouterr().out and output.exists()


def rewrite(path: Path, out: Path, manifest_change=None, arrays: dict | None = None) -> Path:
    """A copy of project ``path`` with its manifest changed and some member arrays replaced."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "manifest.json" and manifest_change is not None:
                manifest = json.loads(data)
                manifest_change(manifest)
                data = json.dumps(manifest).encode()
            elif arrays and name in arrays:
                buffer = io.BytesIO()
                np.save(buffer, arrays[name], allow_pickle=False)
                data = buffer.getvalue()
            target.writestr(name, data)
    return out


@pytest.fixture
def saved(document, tmp_path):
    return save_project(document, tmp_path / "good.e4s")


def test_an_unknown_edit_kind_is_named_not_guessed(saved, tmp_path):
    def swap_kind(manifest):
        manifest["history"][1]["kind"] = "morph"

    with pytest.raises(InputError, match=r"history step 2: unknown edit kind 'morph' \(this version knows"):
        load_project(rewrite(saved, tmp_path / "swap.e4s", swap_kind))


def test_an_unknown_kind_in_a_version_1_project_is_named(tmp_path):
    def swap_kind(manifest):
        manifest["history"][2]["kind"] = "warp"

    with pytest.raises(InputError, match="history step 3: unknown edit kind 'warp'"):
        load_project(rewrite(VERSION_1_PROJECT, tmp_path / "warp.e4s", swap_kind))


def _step(index, change):
    return lambda manifest: change(manifest["history"][index])


MALFORMED = {
    "missing field": (
        _step(0, lambda s: s["fields"].pop("top")),
        None,
        "step 1: malformed 'shape' edit: missing",
    ),
    "text for a number": (
        _step(0, lambda s: s["fields"].update(left="3")),
        None,
        "left must be a whole number",
    ),
    "box off the map": (_step(0, lambda s: s["fields"].update(top=510)), None, "leaves the 512x512 map"),
    "regions not ids": (_step(1, lambda s: s["fields"].update(regions=[4, 99])), None, "region ids 0..11"),
    "alpha above 1": (
        _step(1, lambda s: s["fields"].update(alpha=3.0)),
        None,
        "alpha must be between 0 and 1",
    ),
    "unknown reference": (_step(1, lambda s: s["fields"].update(reference="ffff")), None, "not among"),
    "no fields": (_step(2, lambda s: s.pop("fields")), None, "step 3: its 'fit' record has no fields"),
    "bad array name": (_step(2, lambda s: s.update(arrays=["../../x"])), None, "names arrays badly"),
    "missing array": (_step(2, lambda s: s.update(arrays=["old", "new", "extra"])), None, "step 3: missing"),
    "rows of another size": (None, {"history/00002_new.npy": np.zeros((2, 3), np.float32)}, "new has shape"),
    "position out of range": (lambda m: m.update(history_position=9), None, "history position 9"),
    "photo entry not a record": (lambda m: m.update(photo=[]), None, "photo entry is not a record"),
    "reference hash a path": (lambda m: m["references"][0].update(hash="../x"), None, "no valid hash"),
    "landmarks not pairs": (lambda m: m.update(landmarks=[1, 2, 3]), None, "landmarks are not"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_record_is_a_clear_error_naming_the_step(saved, tmp_path, case):
    change, arrays, message = MALFORMED[case]
    broken = rewrite(saved, tmp_path / "broken.e4s", change, arrays)
    with pytest.raises(InputError, match="broken.e4s is not a readable E4S Studio project") as raised:
        load_project(broken)
    assert message in str(raised.value)


ARRAY_MEMBERS = {
    "parsed map not square": (
        "parsed.npy",
        np.zeros((512, 200), np.uint8),
        "parsed.npy holds uint8 (512, 200)",
    ),
    "too few region vectors": ("base_vectors.npy", np.zeros((3, 8), np.float32), "base_vectors.npy holds"),
    "vectors of another dtype": ("base_vectors.npy", np.zeros((12, 8), np.float64), "not float32 12xN"),
    "photo without colour": ("photo.npy", np.zeros((96, 112), np.uint8), "photo.npy holds"),
}


@pytest.mark.parametrize("case", ARRAY_MEMBERS)
def test_member_arrays_are_checked_before_they_are_used(saved, tmp_path, case):
    member, array, message = ARRAY_MEMBERS[case]
    broken = rewrite(saved, tmp_path / "broken.e4s", arrays={member: array})
    with pytest.raises(InputError, match="broken.e4s is not a readable E4S Studio project") as raised:
        load_project(broken)
    assert message in str(raised.value)


def test_non_finite_vector_rows_are_refused(saved, document, tmp_path):
    rows = np.full((len(FACE_REGIONS), document.vectors.shape[1]), np.nan, np.float32)
    broken = rewrite(saved, tmp_path / "nan.e4s", arrays={"history/00002_new.npy": rows})
    with pytest.raises(InputError, match="step 3: .*NaN or infinite"):
        load_project(broken)


def test_a_project_from_a_newer_version_asks_for_an_update(saved, tmp_path):
    newer = rewrite(saved, tmp_path / "newer.e4s", lambda m: m.update(version=PROJECT_VERSION + 1))
    with pytest.raises(InputError, match="newer E4S Studio .* update E4S Studio"):
        load_project(newer)


def test_render_project_reports_a_malformed_project_in_one_line(saved, tmp_path, capsys):
    broken = rewrite(saved, tmp_path / "broken.e4s", _step(1, lambda s: s.update(kind="morph")))
    assert main(["render-project", str(broken), "-o", str(tmp_path / "out.png")]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "unknown edit kind 'morph'" in captured.err
    assert "Traceback" not in captured.err + captured.out and not (tmp_path / "out.png").exists()
