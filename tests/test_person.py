"""Person vs background (MediaPipe's selfie segmentation through LiteRT), shipped and working."""

import pytest
from photos import astronaut

from e4s_core import paths
from e4s_core.errors import CheckpointError
from e4s_core.photo.person import PersonSegmenter, segmentation_available

pytestmark = pytest.mark.skipif(not segmentation_available(), reason="ai-edge-litert has no wheel here")


def test_the_model_ships_with_its_licence():
    assert paths.PERSON_SEGMENTATION_FILE.is_file()
    assert "Apache License" in paths.PERSON_SEGMENTATION_FILE.with_suffix(".LICENSE").read_text()


def test_the_astronaut_is_a_person_and_the_sky_behind_her_is_not():
    probability = PersonSegmenter()(astronaut())  # [512, 512]
    assert probability.shape == (512, 512)
    assert probability[100:140, 200:250].mean() > 0.9  # her face
    assert probability[10:40, 380:420].mean() < 0.1  # the wall beside the shuttle


def test_a_damaged_model_file_says_what_to_do(tmp_path):
    damaged = tmp_path / "selfie_segmentation.tflite"
    damaged.write_bytes(paths.PERSON_SEGMENTATION_FILE.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="missing or damaged.*reinstall"):
        PersonSegmenter(damaged)
