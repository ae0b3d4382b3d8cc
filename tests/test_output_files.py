"""OutputFiles: a command's outputs land all together or not at all."""

import errno
import os

import pytest

from e4s_core import files
from e4s_core.errors import InputError
from e4s_core.files import MAX_NAME_BYTES, OutputFiles, check_output_folder, check_output_path


def outputs(tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.json"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    return first, second, OutputFiles((first, (".png",), "the image"), (second, (".json",), "the record"))


def test_both_land_together_with_the_usual_permissions(tmp_path):
    first, second, out = outputs(tmp_path)
    with out:
        out.temp(first).write_bytes(b"new a")
        out.temp(second).write_bytes(b"new b")
    assert (first.read_bytes(), second.read_bytes()) == (b"new a", b"new b")
    assert first.stat().st_mode & 0o777 == 0o666 & ~files._umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.json"]


def test_a_rename_failing_half_way_puts_the_first_file_back(tmp_path, monkeypatch):
    first, second, out = outputs(tmp_path)
    real_replace, calls = os.replace, []

    def replace(source, destination):
        calls.append(destination)
        if len(calls) == 2:  # the second output's rename: the first is already in place
            raise OSError(errno.EIO, "Input/output error")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputError, match=r"Could not write b\.json: Input/output error"), out:
        out.temp(first).write_bytes(b"new a")
        out.temp(second).write_bytes(b"new b")
    monkeypatch.undo()
    assert (first.read_bytes(), second.read_bytes()) == (b"old a", b"old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.json"]


def test_a_writer_error_leaves_everything_as_it_was(tmp_path):
    first, second, out = outputs(tmp_path)
    with pytest.raises(InputError, match="No space left on device"), out:
        out.temp(first).write_bytes(b"new a")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert (first.read_bytes(), second.read_bytes()) == (b"old a", b"old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.json"]


def test_an_output_never_written_is_a_bug_not_a_silent_success(tmp_path):
    first, second, out = outputs(tmp_path)
    with pytest.raises(RuntimeError, match="never written: b.json"), out:
        out.temp(first).write_bytes(b"new a")
    assert first.read_bytes() == b"old a"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("x.gif", "must be one of .png"),
        ("missing/x.png", "does not exist"),
        ("a" * (MAX_NAME_BYTES - 3) + ".png", "longer than 255 bytes"),
        ("folder", "it is a folder"),
    ],
)
def test_outputs_are_checked_before_any_work(tmp_path, name, said):
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match=said):
        check_output_path(tmp_path / name, (".png",) if name != "folder" else (), "the image")


def test_a_name_at_the_file_system_limit_still_writes(tmp_path):
    """The temporary's name is short, so an output named up to the limit still fits."""
    final = tmp_path / ("a" * (MAX_NAME_BYTES - 4) + ".png")
    with OutputFiles((final, (".png",), "the image")) as out:
        out.temp(final).write_bytes(b"x")
    assert final.read_bytes() == b"x"


def test_the_same_file_twice_is_refused(tmp_path):
    with pytest.raises(InputError, match="same file"):
        OutputFiles((tmp_path / "a.png", (), "one"), (tmp_path / "./a.png", (), "two"))


def test_an_output_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(InputError, match="it is a file"):
        check_output_folder(tmp_path / "run", "the run folder")
    assert check_output_folder(tmp_path / "new" / "run") == tmp_path / "new" / "run"
