"""File › Export face / photo / label map / colour mask: one action each, names suggested, choices kept."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.studio import exports
from app.studio.exports import EXPORT_KINDS
from e4s_core.regions import to_color_mask


class SaveDialog:
    """Stands for QFileDialog.getSaveFileName: records what it was offered, answers ``answer(offered)``."""

    def __init__(self, answer):
        self.answer, self.offered = answer, []

    def __call__(self, parent, title, suggested, filters, selected):
        self.offered.append((suggested, selected))
        return self.answer(Path(suggested)), selected


@pytest.fixture
def dialog(monkeypatch, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fake = SaveDialog(lambda suggested: str(out / suggested.name))
    monkeypatch.setattr(exports.QFileDialog, "getSaveFileName", fake)
    return fake, out


def test_each_export_action_writes_its_kind_at_its_size_with_the_suggested_name(opened, dialog):
    window, _, _ = opened
    fake, out = dialog
    for kind in EXPORT_KINDS:
        window.export_actions[kind.name].trigger()
    assert not window.errors
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "astronaut_edited.png",
            "astronaut_edited_face.png",
            "astronaut_edited_labels.png",
            "astronaut_edited_mask.png",
        ]
    )
    photo = window.document.source.photo.rgb
    crop_side = window.document.source.aligned.image.shape[0]
    assert np.asarray(Image.open(out / "astronaut_edited.png")).shape == photo.shape
    face = np.asarray(Image.open(out / "astronaut_edited_face.png"))
    assert face.shape == (crop_side, crop_side, 3) and crop_side > window.model.resolution
    labels = window.document.canvas.labels
    assert np.array_equal(np.asarray(Image.open(out / "astronaut_edited_labels.png")), labels)
    assert np.array_equal(
        np.asarray(Image.open(out / "astronaut_edited_mask.png").convert("RGB")), to_color_mask(labels)
    )


def test_the_last_folder_and_each_kinds_format_are_remembered(opened, dialog, tmp_path):
    window, _, _ = opened
    fake, out = dialog
    fake.answer = lambda suggested: str(out / "mine.jpg")
    window.export_actions["face"].trigger()
    assert (out / "mine.jpg").exists()
    fake.answer = lambda suggested: ""  # the user cancels: only the suggestion is looked at
    window.export_actions["face"].trigger()
    window.export_actions["labels"].trigger()
    face_suggestion, face_filter = fake.offered[-2]
    labels_suggestion, _ = fake.offered[-1]
    assert Path(face_suggestion) == out / "astronaut_edited_face.jpg" and "JPG" in face_filter
    assert Path(labels_suggestion) == out / "astronaut_edited_labels.png"  # its own format


def test_a_name_typed_without_a_type_gets_the_chosen_format_and_lossy_label_maps_are_refused(opened, dialog):
    window, _, _ = opened
    fake, out = dialog
    fake.answer = lambda suggested: str(out / "typed")
    window.export_actions["photo"].trigger()
    assert (out / "typed.png").exists()
    fake.answer = lambda suggested: str(out / "labels.jpg")
    window.export_actions["labels"].trigger()
    assert not (out / "labels.jpg").exists() and "labels.jpg" in window.errors[-1]
