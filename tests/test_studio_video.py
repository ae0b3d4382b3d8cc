"""File › Open video… and Export video… in the real window (offscreen, tiny local model)."""

import numpy as np
import pytest
from photos import astronaut, grace_hopper
from PIL import Image
from studio_helpers import wait_idle
from video_helpers import moving_face_frames, write_clip

from e4s_core.regions import region_id
from e4s_core.video.io import probe, read_frames

BLANK = 1


@pytest.fixture
def video_open(window, qtbot, tmp_path):
    frames = [np.full((192, 192, 3), 128, np.uint8)] * BLANK + list(moving_face_frames(4, 192))
    clip = write_clip(tmp_path / "clip.mkv", frames, audio_seconds=0.2)
    window.video_action.open(clip)
    qtbot.waitUntil(lambda: window.document is not None, timeout=30000)
    wait_idle(qtbot, window)
    return window, clip, frames


def add_hair_texture(window, qtbot, folder) -> None:
    """grace_hopper's hair on the video's face, as one texture step."""
    reference = str(folder / "hopper.png")
    Image.fromarray(grace_hopper()).save(reference)
    window.add_references([reference])
    qtbot.waitUntil(lambda: window.gallery.reference_at(reference) is not None, timeout=30000)
    window.gallery.select_reference(window.gallery.reference_at(reference).hash)
    window.regions.set_checked((region_id("hair"),))
    window.apply_texture()
    wait_idle(qtbot, window)


def show_frame(window, qtbot, index: int) -> None:
    """Move the frame slider and wait for that frame's preview."""
    window.scrubber.slider.setValue(index)
    qtbot.waitUntil(lambda: window.tasks.has("video-frame"), timeout=5000)
    wait_idle(qtbot, window)


def test_a_video_opens_at_its_first_face_as_a_photo_with_the_mask_read_only(video_open):
    window, clip, frames = video_open
    assert window.document.source.name == "clip.mkv (frame 1)"  # frame 0 has no face
    assert window.scrubber.isVisible() and window.scrubber.slider.maximum() == len(frames) - 1
    assert window.scrubber.slider.value() == BLANK
    assert not window.canvas_view.isEnabled() and window.video_action.export_action.isEnabled()


def test_the_slider_previews_the_texture_on_any_frame(video_open, qtbot, tmp_path):
    window, clip, frames = video_open
    add_hair_texture(window, qtbot, tmp_path)
    show_frame(window, qtbot, 3)
    raw = window.input_view._image.array
    edited = window.result_view._image.array
    assert np.array_equal(raw, frames[3]) and not np.array_equal(edited, frames[3])


def test_export_writes_every_frame_in_the_background_and_cancel_writes_nothing(video_open, qtbot, tmp_path):
    window, clip, frames = video_open
    add_hair_texture(window, qtbot, tmp_path)
    out = tmp_path / "edited.mp4"
    window.video_action.export(out)
    assert window.video_action.exporting and window.video_action.cancel_button.isVisible()
    qtbot.waitUntil(lambda: not window.video_action.exporting and out.exists(), timeout=60000)
    qtbot.waitUntil(lambda: not window.video_action.cancel_button.isVisible(), timeout=5000)
    info = probe(out)
    assert sum(1 for _ in read_frames(out)) == len(frames) and info.audio_streams == 1 and not window.errors
    cancelled = tmp_path / "cancelled.mp4"
    window.video_action.export(cancelled)
    window.video_action.cancel()
    qtbot.waitUntil(lambda: not window.video_action.exporting, timeout=60000)
    qtbot.waitUntil(lambda: bool(window.errors), timeout=5000)
    assert "cancelled" in window.errors[-1] and not cancelled.exists()
    assert not list(tmp_path.glob(".e4s-*"))


def test_opening_a_photo_closes_the_video(video_open, qtbot, tmp_path):
    window, clip, frames = video_open
    Image.fromarray(astronaut()).save(tmp_path / "photo.png")
    window.open_photo(tmp_path / "photo.png")
    qtbot.waitUntil(lambda: window.document.source.name == "photo.png", timeout=30000)
    assert not window.scrubber.isVisible() and window.canvas_view.isEnabled()
    assert not window.video_action.export_action.isEnabled()


def test_the_previewed_frame_follows_undo_and_the_documents_frame_shows_its_crop(video_open, qtbot, tmp_path):
    window, clip, frames = video_open
    add_hair_texture(window, qtbot, tmp_path)
    show_frame(window, qtbot, 3)
    assert not np.array_equal(window.result_view._image.array, frames[3])
    window.undo()  # no texture step left: frame 3 as it is, not the document's crop
    qtbot.waitUntil(lambda: window.tasks.has("video-frame"), timeout=5000)
    wait_idle(qtbot, window)
    assert np.array_equal(window.result_view._image.array, frames[3])
    window.scrubber.slider.setValue(BLANK)  # the document's own frame
    qtbot.waitUntil(lambda: window.video_action.shown_frame is None, timeout=5000)
    assert np.array_equal(window.input_view._image.array, window.document.source.aligned.image)
