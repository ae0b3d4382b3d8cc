"""Projects are files people exchange: every member is untrusted, and memory stays bounded."""

import contextlib
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from test_project_files import synthetic_source

from app.studio.models.document import Document
from app.studio.models.project import load_project, save_project
from e4s_core import untrusted
from e4s_core.errors import InputError
from e4s_core.regions import NUM_REGIONS

VECTOR_WIDTH = 8


@pytest.fixture
def saved(tmp_path):
    source = synthetic_source(2_000_001)
    vectors = np.random.default_rng(0).normal(size=(NUM_REGIONS, VECTOR_WIDTH)).astype(np.float32)
    return save_project(Document(source, vectors), tmp_path / "plain.e4s")


def npy_header(dtype, shape) -> bytes:
    buffer = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def rebuild(saved, out, members: dict | None = None, streamed: dict | None = None, manifest=None):
    """A copy of ``saved`` with members replaced by bytes, by streamed (header, zero-byte count)
    pairs (a zip bomb without ever holding it in memory), or a new manifest."""
    members, streamed = members or {}, streamed or {}
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name in streamed:
                header, zeros = streamed[name]
                with target.open(name, "w", force_zip64=True) as stream:
                    stream.write(header)
                    chunk = bytes(2**22)
                    for start in range(0, zeros, len(chunk)):
                        stream.write(chunk[: min(len(chunk), zeros - start)])
            elif name == "manifest.json" and manifest is not None:
                target.writestr(name, manifest if isinstance(manifest, bytes) else json.dumps(manifest))
            else:
                target.writestr(name, members.get(name, source.read(name)))
    return out


def manifest_of(saved) -> dict:
    with zipfile.ZipFile(saved) as archive:
        return json.loads(archive.read("manifest.json"))


def refused(path, message: str) -> str:
    with pytest.raises(InputError, match="is not a readable E4S Studio project") as raised:
        load_project(path)
    assert message in str(raised.value), str(raised.value)
    assert "\n" not in str(raised.value)
    return str(raised.value)


def peak_bytes_while(action) -> int:
    tracemalloc.start()
    with contextlib.suppress(InputError):
        action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_the_fixture_project_opens(saved):
    assert load_project(saved).vectors.shape == (NUM_REGIONS, VECTOR_WIDTH)


BOMBS = {
    # member: (header dtype, header shape, zero bytes after it)
    "photo of another size than declared": ("photo.npy", np.uint8, (30_000, 30_000, 3), 256 * 2**20),
    "right header, a gigabyte behind it": ("photo.npy", np.uint8, (112, 96, 3), 256 * 2**20),
    "a history array past any edit's size": (
        "history/00000_changed.npy",
        np.uint8,
        (16_000, 16_000),
        256 * 2**20,
    ),
}


@pytest.mark.parametrize("case", BOMBS)
def test_a_zip_bomb_member_is_refused_before_it_inflates(saved, tmp_path, case):
    member, dtype, shape, zeros = BOMBS[case]
    if member.startswith("history/"):
        saved = _with_a_shape_edit(saved, tmp_path)
    bomb = rebuild(saved, tmp_path / "bomb.e4s", streamed={member: (npy_header(dtype, shape), zeros)})
    assert bomb.stat().st_size < 2 * 2**20  # small on disk, a quarter gigabyte or more inflated
    peak = peak_bytes_while(lambda: load_project(bomb))
    assert peak < 32 * 2**20, f"opening the bomb took {peak / 2**20:.0f} MB"
    refused(bomb, member)


def _with_a_shape_edit(saved, tmp_path):
    document = load_project(saved)
    canvas = document.canvas
    canvas.active_label, canvas.brush_radius = 3, 6
    canvas.begin_stroke(100, 100)
    canvas.stroke_to(200, 160)
    assert canvas.end_stroke() is not None
    return save_project(document, tmp_path / "edited.e4s")


def test_a_manifest_declaring_a_giant_photo_is_refused_before_reading_it(saved, tmp_path):
    manifest = manifest_of(saved)
    manifest["transform"]["photo_size"] = [200_000, 200_000]
    refused(rebuild(saved, tmp_path / "giant.e4s", manifest=manifest), "200000x200000 photo")


MANIFESTS = {
    "not JSON": b"{not json",
    "a list": b"[1, 2, 3]",
    "text": b'"project"',
    "binary": bytes(range(256)),
    "no transform": lambda m: m.pop("transform"),
    "transform as text": lambda m: m.update(transform="identity"),
    "references as a record": lambda m: m.update(references={"a": 1}),
    "history as text": lambda m: m.update(history="all of it"),
    "name as a number": lambda m: m.update(name=7),
    "crop side zero": lambda m: m["transform"].update(size=0),
}


@pytest.mark.parametrize("case", MANIFESTS)
def test_a_malformed_manifest_is_one_clear_line(saved, tmp_path, case):
    change = MANIFESTS[case]
    if callable(change):
        manifest = manifest_of(saved)
        change(manifest)
        change = manifest
    refused(rebuild(saved, tmp_path / "odd.e4s", manifest=change), "odd.e4s")


def test_a_huge_manifest_is_refused_unread(saved, tmp_path):
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(tmp_path / "big.e4s", "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for name in source.namelist():
            if name != "manifest.json":
                out.writestr(name, source.read(name))
        with out.open("manifest.json", "w", force_zip64=True) as stream:
            for _ in range(32):
                stream.write(b" " * 2**20)
    refused(tmp_path / "big.e4s", "manifest.json is 33,554,432 bytes")


WRONG_ARRAYS = {
    "aligned face as float": ("aligned.npy", np.zeros((64, 64, 3), np.float32), "float32"),
    "aligned face of another size": ("aligned.npy", np.zeros((128, 128, 3), np.uint8), "(128, 128, 3)"),
    "label map at half size": ("parsed.npy", np.zeros((256, 256), np.uint8), "(256, 256)"),
    "label map with labels past the regions": ("parsed.npy", np.full((512, 512), 200, np.uint8), "label 200"),
    "vectors of another width": ("vectors.npy", np.zeros((NUM_REGIONS, 9), np.float32), "vectors.npy"),
    "NaN base vectors": (
        "base_vectors.npy",
        np.full((NUM_REGIONS, VECTOR_WIDTH), np.nan, np.float32),
        "finite",
    ),
    "objects": ("parsed.npy", np.array([None, 1], dtype=object), "Python objects"),
}


@pytest.mark.parametrize("case", WRONG_ARRAYS)
def test_arrays_of_the_wrong_shape_dtype_or_values_are_refused(saved, tmp_path, case):
    member, array, message = WRONG_ARRAYS[case]
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    refused(rebuild(saved, tmp_path / "wrong.e4s", members={member: buffer.getvalue()}), message)


def test_a_truncated_member_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        whole = archive.read("parsed.npy")
    refused(rebuild(saved, tmp_path / "short.e4s", members={"parsed.npy": whole[:-100]}), "parsed.npy")


def test_too_many_members_are_refused_before_any_is_read(saved, tmp_path, monkeypatch):
    monkeypatch.setattr(untrusted, "MAX_MEMBERS", 5)
    monkeypatch.setattr(untrusted.check_archive, "__defaults__", (5,))
    refused(saved, "more than a project can hold (5)")


def test_fortran_ordered_arrays_read_back_the_same(tmp_path):
    array = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    buffer = io.BytesIO()
    np.save(buffer, array)
    with zipfile.ZipFile(tmp_path / "f.zip", "w") as archive:
        archive.writestr("a.npy", buffer.getvalue())
    with zipfile.ZipFile(tmp_path / "f.zip") as archive:
        assert np.array_equal(untrusted.read_npy(archive, "a.npy", np.float32, (3, 4)), array)
