"""Photo in, photo out: open -> align -> parse -> paste back, through the API and the CLI."""

import cv2
import numpy as np
import pytest
from photos import astronaut, grace_hopper
from PIL import Image

from app.cli import main
from e4s_core.errors import InputError
from e4s_core.photo.io import Photo, read_photo, write_photo
from e4s_core.photo.parse import parse_face
from e4s_core.photo.paste import face_mask_from_labels
from e4s_core.photo.pipeline import open_face, paste_result
from e4s_core.regions import FACE_REGIONS, region_id


@pytest.fixture(scope="module", params=["astronaut", "grace_hopper"])
def opened(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    path = write_photo(
        {"astronaut": astronaut, "grace_hopper": grace_hopper}[request.param](), folder / "p.png"
    )
    face = open_face(path)
    return face, parse_face(face.aligned)


def warped_mask(opened_face, labels, dilate: int) -> np.ndarray:
    """Where the paste may change the photo: the face mask in photo space, dilated."""
    face, photo = opened_face.aligned, opened_face.photo
    mask = face_mask_from_labels(labels, FACE_REGIONS, face.image.shape[0])
    warped = cv2.warpAffine(mask, face.transform.crop_to_photo, (photo.width, photo.height))
    return cv2.dilate((warped > 0).astype(np.uint8), np.ones((2 * dilate + 1,) * 2, np.uint8)) > 0


def test_a_photo_is_aligned_and_an_aligned_crop_is_recognised(opened, tmp_path):
    face, _ = opened
    assert not face.was_aligned and face.aligned.image.shape == (1024, 1024, 3)
    crop_file = write_photo(face.aligned.image, tmp_path / "crop.png")
    again = open_face(crop_file)
    assert again.was_aligned and np.array_equal(again.aligned.image, face.aligned.image)
    assert not open_face(crop_file, aligned=False).was_aligned


def test_unedited_crop_pasted_back_reproduces_the_photo(opened):
    face, labels = opened
    pasted = paste_result(face.photo, face.aligned.image, face.aligned.transform, labels)
    original = face.photo.rgb
    changed = np.any(pasted != original, axis=2)
    support = warped_mask(face, labels, dilate=40)
    assert not changed[~support].any(), "pixels away from the face must stay bit-identical"
    inside = warped_mask(face, labels, dilate=0)
    error = np.abs(pasted.astype(int) - original.astype(int))[inside].mean()
    assert error < 4  # two resamplings of a real photo


def test_edit_inside_the_face_changes_only_the_face_area(opened):
    face, labels = opened
    edited = face.aligned.image.copy()
    nose = cv2.resize(
        (labels == region_id("nose")).astype(np.uint8), (1024, 1024), interpolation=cv2.INTER_NEAREST
    )
    edited[nose > 0] = (255, 0, 0)
    pasted = paste_result(face.photo, edited, face.aligned.transform, labels)
    changed = np.any(np.abs(pasted.astype(int) - face.photo.rgb.astype(int)) > 8, axis=2)
    assert changed.sum() > 50
    assert not changed[~warped_mask(face, labels, dilate=40)].any()
    nose_tip = face.aligned.transform.to_photo(face.aligned.landmarks[30:31])[0].round().astype(int)
    red = pasted[nose_tip[1], nose_tip[0]].astype(int)
    assert red[0] > 200 and red[1] < 90


def test_paste_into_a_photo_of_another_size_is_refused(opened):
    face, labels = opened
    other = Photo(np.zeros((100, 120, 3), np.uint8))
    with pytest.raises(InputError, match="belongs to a"):
        paste_result(other, face.aligned.image, face.aligned.transform, labels)


def test_cli_align_parse_paste_round_trip_with_non_ascii_names_and_exif_rotation(tmp_path, capsys):
    photo = tmp_path / "фото_写真.jpg"
    rotated = np.ascontiguousarray(np.rot90(astronaut(), k=1))  # stored sideways ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... and tagged "rotate 90° clockwise to display"
    Image.fromarray(rotated).save(photo, quality=95, exif=exif)
    crop, labels, out = tmp_path / "脸.png", tmp_path / "labels.png", tmp_path / "out.jpg"

    assert main(["align", str(photo), "-o", str(crop)]) == 0
    assert main(["parse", str(crop), "-o", str(labels), "--color"]) == 0
    assert main(["paste", str(crop), "--into", str(photo), "-o", str(out), "--labels", str(labels)]) == 0

    assert Image.open(crop).size == (1024, 1024)
    assert (tmp_path / "脸.align.json").exists()
    label_map = np.asarray(Image.open(labels))
    assert label_map.shape == (512, 512) and label_map.max() <= 11
    assert Image.open(tmp_path / "labels.color.png").mode == "RGB"
    result = read_photo(out)
    upright = read_photo(photo)
    assert (result.width, result.height) == (upright.width, upright.height) == (512, 512)
    assert Image.open(out).getexif().get(0x0112, 1) == 1  # written upright, not rotated again
    assert np.abs(result.rgb.astype(int) - upright.rgb.astype(int)).mean() < 4
    assert "wrote" in capsys.readouterr().out


def test_cli_paste_without_alignment_file_explains_what_to_do(tmp_path, capsys):
    crop = write_photo(np.zeros((1024, 1024, 3), np.uint8), tmp_path / "crop.png")
    photo = write_photo(astronaut(), tmp_path / "photo.png")
    assert main(["paste", str(crop), "--into", str(photo), "-o", str(tmp_path / "o.png")]) == 2
    assert "e4s-studio align" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_cli_parse_of_a_photo_without_a_face_fails_cleanly(tmp_path, capsys):
    blank = write_photo(np.full((300, 300, 3), 120, np.uint8), tmp_path / "blank.png")
    assert main(["parse", str(blank), "-o", str(tmp_path / "l.png")]) == 2
    assert "No face found in blank.png" in capsys.readouterr().err
    assert not (tmp_path / "l.png").exists()


@pytest.mark.parametrize("size", ["0", "1", "63", "4097", "100000"])
def test_align_refuses_a_crop_size_outside_its_range_before_any_work(tmp_path, capsys, size):
    photo = tmp_path / "photo.png"
    Image.fromarray(astronaut()).save(photo)
    crop = tmp_path / "crop.png"
    assert main(["align", str(photo), "-o", str(crop), "--size", size]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"e4s-studio: --size must be between 64 and 4096, got {size}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]
