"""Face detection and FFHQ alignment on real photos, and the transform that goes back."""

import cv2
import numpy as np
import pytest
from photos import astronaut, grace_hopper

from e4s_core.errors import FaceCutOffError, FaceTooSmallError, InputError, NoFaceError
from e4s_core.photo.align import (
    AlignmentTransform,
    align_photo,
    aligned_as_is,
    load_sidecar,
    save_sidecar,
    sidecar_path,
)
from e4s_core.photo.faces import DetectedFace, choose_face, detect_faces

PHOTOS = {"astronaut": astronaut, "grace_hopper": grace_hopper}


def eye_centres(landmarks: np.ndarray) -> np.ndarray:
    return np.array([landmarks[36:42].mean(0), landmarks[42:48].mean(0)])


@pytest.fixture(scope="module", params=sorted(PHOTOS))
def aligned(request):
    return request.param, align_photo(PHOTOS[request.param]())


def test_one_face_is_found_in_each_photo(aligned):
    _, face = aligned
    assert face.faces_found == 1
    assert face.image.shape == (1024, 1024, 3) and face.image.dtype == np.uint8


def test_eyes_land_where_the_ffhq_recipe_puts_them(aligned):
    _, face = aligned
    recipe = eye_centres(face.landmarks)  # the photo's landmarks carried through the transform
    # The recipe makes the square four eye distances wide when the eyes dominate: the eyes
    # sit a quarter of the side either side of the centre line, just below the middle.
    np.testing.assert_allclose(recipe[:, 0], [384, 640], atol=3)
    assert 460 < recipe[:, 1].mean() < 520
    found_again = eye_centres(detect_faces(face.image)[0].landmarks)
    np.testing.assert_allclose(found_again, recipe, atol=5)


def test_transform_maps_points_both_ways_exactly(aligned):
    name, face = aligned
    points = np.array([[0.0, 0.0], [1023.0, 511.5], [300.25, 900.75]])
    np.testing.assert_allclose(face.transform.to_crop(face.transform.to_photo(points)), points, atol=1e-9)
    photo = PHOTOS[name]()
    assert face.transform.photo_size == (photo.shape[1], photo.shape[0])


def test_crop_pixels_are_samples_of_the_photo_at_the_transformed_positions(aligned):
    name, face = aligned
    photo = PHOTOS[name]().astype(np.float32)
    crop_points = np.array([[512, 512], [400, 600], [650, 450], [512, 700]], dtype=np.float64)
    for (cx, cy), (px, py) in zip(crop_points, face.transform.to_photo(crop_points), strict=True):
        expected = cv2.getRectSubPix(photo, (1, 1), (float(px), float(py)))[0, 0]
        assert np.abs(face.image[int(cy), int(cx)] - expected).max() < 40  # smooth-ish skin


def test_several_faces_are_all_found_largest_first_and_any_can_be_chosen():
    big, small = astronaut(), cv2.resize(grace_hopper(), (170, 200), interpolation=cv2.INTER_AREA)
    photo = np.full((600, 900, 3), 200, np.uint8)
    photo[40:552, 20:532] = big  # face about 90 px wide
    photo[100:300, 600:770] = small  # face about 60 px wide
    faces = detect_faces(photo)
    assert len(faces) == 2 and faces[0].width > faces[1].width
    assert faces[0].box[0] < 532 < faces[1].box[0]
    second = align_photo(photo, face_index=1)
    assert second.face_index == 1 and second.faces_found == 2
    assert second.transform.to_photo(np.array([[512.0, 512.0]]))[0, 0] > 600
    with pytest.raises(NoFaceError, match="has 2 face"):
        align_photo(photo, face_index=2, faces=faces)


def test_photo_without_a_face_says_so():
    with pytest.raises(NoFaceError, match="No face found"):
        align_photo(np.full((300, 300, 3), 128, np.uint8))


def fake_face(x0: float, width: float) -> DetectedFace:
    ring = np.stack([np.linspace(x0, x0 + width, 68), np.linspace(50, 50 + width, 68)], axis=1)
    return DetectedFace((x0, 50, x0 + width, 50 + width), 1.0, ring)


def test_tiny_face_is_refused_as_too_small():
    with pytest.raises(FaceTooSmallError, match="only 30 px wide"):
        choose_face([fake_face(100, 30)], 0, (400, 400, 3))


def test_face_cut_off_by_the_border_is_refused():
    with pytest.raises(FaceCutOffError, match="cut off"):
        choose_face([fake_face(-40, 120)], 0, (400, 400, 3))


def test_square_leaving_the_photo_is_filled_by_reflection_not_black():
    photo = astronaut()[70:, 60:]  # the FFHQ square now leaves the photo at the top and left
    face = align_photo(photo)
    corners = face.transform.to_photo(np.array([[0.0, 0.0], [1023.0, 1023.0]]))
    assert corners[0, 1] < 0  # really outside
    top = face.image[:40].astype(int)
    assert top.mean() > 60 and (top.sum(2) == 0).mean() < 0.01


def test_large_photo_is_searched_small_but_aligned_from_full_resolution():
    small = astronaut()
    large = cv2.resize(small, (4000, 4000), interpolation=cv2.INTER_CUBIC)[500:3500]  # 4000x3000
    reference = align_photo(small)
    face = align_photo(large)
    scale = 4000 / 512
    expected = reference.transform.to_photo(np.array([[512.0, 512.0]]))[0] * scale + [0, -500]
    got = face.transform.to_photo(np.array([[512.0, 512.0]]))[0]
    assert np.abs(got - expected).max() < 0.03 * 2 * 90 * scale  # within 3 % of the face size
    assert face.transform.scale / reference.transform.scale == pytest.approx(scale, rel=0.02)
    # Same face, same framing: the crops agree up to the landmarks' pixel noise.
    assert np.abs(face.image.astype(int) - reference.image.astype(int)).mean() < 25


def test_aligned_square_face_is_used_as_is():
    crop = align_photo(astronaut()).image
    same = aligned_as_is(crop)
    assert same.image is crop or np.array_equal(same.image, crop)
    np.testing.assert_allclose(same.transform.to_photo(np.array([[10.0, 20.0]])), [[10.0, 20.0]])
    half = aligned_as_is(cv2.resize(crop, (512, 512), interpolation=cv2.INTER_AREA))
    np.testing.assert_allclose(half.transform.to_photo(np.array([[1023.0, 0.0]])), [[511.25, -0.25]])
    with pytest.raises(InputError, match="must be square"):
        aligned_as_is(crop[:1000])


def test_sidecar_round_trips_the_transform(tmp_path):
    face = align_photo(astronaut())
    written = save_sidecar(face, tmp_path / "crop.png", photo_path="astronaut.png")
    assert written == sidecar_path(tmp_path / "crop.png")
    transform, payload = load_sidecar(written)
    np.testing.assert_array_equal(transform.crop_to_photo, face.transform.crop_to_photo)
    assert transform.photo_size == face.transform.photo_size and payload["photo"] == "astronaut.png"


def test_bad_sidecar_is_reported(tmp_path):
    with pytest.raises(InputError, match="No alignment file"):
        load_sidecar(tmp_path / "missing.align.json")
    (tmp_path / "bad.align.json").write_text('{"format": "e4s-studio-alignment", "crop_to_photo": [1]}')
    with pytest.raises(InputError, match="not a valid alignment file"):
        load_sidecar(tmp_path / "bad.align.json")


def test_identity_transform_maps_pixel_centres_of_a_resized_square():
    transform = AlignmentTransform.identity(1024, (2048, 2048))
    np.testing.assert_allclose(transform.to_photo(np.array([[0.0, 0.0]])), [[0.5, 0.5]])


def test_10k_photo_is_searched_downscaled_and_cut_from_full_resolution():
    huge = cv2.resize(astronaut(), (10000, 10000), interpolation=cv2.INTER_LINEAR)
    face = align_photo(huge)
    assert face.transform.photo_size == (10000, 10000)
    assert face.transform.scale > 3  # the crop is area-averaged from the full-resolution face
    np.testing.assert_allclose(eye_centres(face.landmarks)[:, 0], [384, 640], atol=4)


def test_a_75_px_face_in_a_12_megapixel_photo_is_found_and_aligned():
    """The 1024 px search sees it at 19 px; the finer search must find it, where it is."""
    found = detect_faces(astronaut())[0].width
    face = cv2.resize(astronaut(), None, fx=75 / found, fy=75 / found, interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(3)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8), (0, 0), 8)
    top, left = 1900, 1400  # across a tile border
    photo[top : top + face.shape[0], left : left + face.shape[1]] = face
    faces = detect_faces(photo)
    assert len(faces) == 1 and 60 < faces[0].width < 90
    x0, y0, x1, y1 = faces[0].box
    assert left < x0 < x1 < left + face.shape[1] and top < y0 < y1 < top + face.shape[0]
    aligned = align_photo(photo, faces=faces)
    eyes = aligned.transform.to_photo(np.array([[0.5, 0.5]]) * aligned.transform.size)[0]
    assert left < eyes[0] < left + face.shape[1] and top < eyes[1] < top + face.shape[0]


@pytest.mark.parametrize("size", [0, 1, 63, 4097, 10**6, 256.0, True])
def test_the_api_refuses_a_crop_size_outside_its_range(size):
    with pytest.raises(InputError, match="crop size must be a whole number of pixels from 64 to 4096"):
        align_photo(astronaut(), size=size, faces=detect_faces(astronaut()))
    with pytest.raises(InputError, match="crop size"):
        aligned_as_is(np.zeros((256, 256, 3), np.uint8), size=size)
