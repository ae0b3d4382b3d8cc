"""MediaPipe's face mesh through LiteRT: shipped, on the real faces, and replaceable by dlib."""

import numpy as np
import pytest
from photos import astronaut, grace_hopper

from e4s_core import paths
from e4s_core.errors import CheckpointError
from e4s_core.photo.align import align_photo
from e4s_core.photo.litert import litert_available
from e4s_core.photo.masks import fill_polygons
from e4s_core.photo.mesh import EYES, INNER_LIPS, FaceMesh

pytestmark = pytest.mark.skipif(not litert_available(), reason="ai-edge-litert has no wheel here")


def test_the_model_ships_with_its_licence():
    assert paths.FACE_MESH_FILE.is_file()
    assert "Apache License" in paths.FACE_MESH_FILE.with_suffix(".LICENSE").read_text()


@pytest.mark.parametrize("load", [astronaut, grace_hopper])
def test_the_eyes_and_inner_lips_sit_where_dlib_sees_them(load):
    face = align_photo(load())
    dlib = face.landmarks  # [68, 2] in the 1024 crop
    points = FaceMesh()(face.image, dlib)
    assert points.shape == (468, 2)
    for eye, dlib_eye in zip(EYES, (dlib[36:42], dlib[42:48]), strict=True):
        outline = fill_polygons(face.image.shape[:2], points[list(eye)])
        x, y = np.round(dlib_eye.mean(0)).astype(int)
        assert outline[y, x]  # dlib's eye centre is inside the mesh's eye
        mesh_width = np.ptp(points[list(eye)][:, 0])
        dlib_width = np.ptp(dlib_eye[:, 0])
        assert 0.8 < mesh_width / dlib_width < 1.6  # dlib often stops short of the corners
    lips_centre = points[list(INNER_LIPS)].mean(0)
    assert np.hypot(*(lips_centre - dlib[60:68].mean(0))) < 0.05 * np.ptp(dlib[:, 0])


def test_the_mesh_is_the_same_wherever_the_first_square_starts():
    """The second square comes from the mesh's own extent, so a first guess a few percent off
    (dlib's points move that much between photos of one face) changes the eyes by well under a
    pixel of the 1024 crop per percent."""
    face = align_photo(astronaut())
    mesh = FaceMesh()
    base = mesh(face.image, face.landmarks)
    centre = face.landmarks.mean(0)
    moved = mesh(face.image, centre + (face.landmarks - centre) * 1.05 + (8.0, -6.0))
    eyes = list(EYES[0] + EYES[1])
    assert np.abs(moved[eyes] - base[eyes]).max() < 6.0


def test_a_damaged_model_file_says_what_to_do(tmp_path):
    damaged = tmp_path / "face_landmark.tflite"
    damaged.write_bytes(paths.FACE_MESH_FILE.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="missing or damaged.*reinstall"):
        FaceMesh(damaged)
