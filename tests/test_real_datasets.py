"""Real-face datasets for training: CelebAMask-HQ as distributed and folders of aligned faces.

Every dataset here is written by the test from synthetic faces (``dataset_helpers``), so the
labels the dataset must produce are known exactly.
"""

import json

import numpy as np
import pytest
import torch
from dataset_helpers import coded_labels, write_celebamask_hq, write_face_folder
from PIL import Image

from e4s_core.errors import InputError
from e4s_core.training.data_sources import DataChoice, open_evaluation_data, open_training_data
from e4s_core.training.dataset_layouts import detect_label_format, merge_part_masks
from e4s_core.training.datasets import EpochBatches, FaceDataset

SIZE = 64
QUIET = lambda _text: None  # noqa: E731


def _open(text: str, size: int = SIZE, validation_faces: int = 2, **options):
    return open_training_data(DataChoice.parse(text, **options), size, validation_faces, say=QUIET)


# -- CelebAMask-HQ ------------------------------------------------------------------------------
def test_merged_part_masks_equal_the_synthetic_labels_exactly(tmp_path):
    truth = write_celebamask_hq(tmp_path, [0, 1, 2, 3, 4, 5])
    data = _open(f"celebamask-hq:{tmp_path}")
    assert len(data.train) == 6
    for index, entry in enumerate(data.train.entries):
        face = data.train[index]
        np.testing.assert_array_equal(face.labels, truth[int(entry.image.stem)])


def test_a_merged_label_folder_gives_the_same_maps(tmp_path):
    truth = write_celebamask_hq(tmp_path, [0, 1])
    merged_dir = tmp_path / "CelebAMaskHQ-mask"  # the folder g_mask.py writes
    merged_dir.mkdir()
    for number, labels in truth.items():  # 19-class files, as CelebAMask-HQ's own script writes them
        Image.fromarray(coded_labels(labels, "celebamask-hq")).save(merged_dir / f"{number}.png")
    merged = _open(f"celebamask-hq:{tmp_path}").train
    assert all(entry.labels is not None and not entry.parts for entry in merged.entries)  # not the parts
    for index, entry in enumerate(merged.entries):
        np.testing.assert_array_equal(merged[index].labels, truth[int(entry.image.stem)])


def test_later_parts_win_where_parts_overlap():
    hair, hat = np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8)
    hair[:2], hat[0] = 255, 255
    merged = merge_part_masks([(14, hat), (13, hair)], (4, 4))  # given out of order on purpose
    assert (merged[0] == 14).all() and (merged[1] == 13).all() and (merged[2:] == 0).all()


def test_the_authors_split_by_image_number(tmp_path):
    write_celebamask_hq(tmp_path, [27_998, 27_999, 28_000, 28_001])
    data = _open(f"celebamask-hq:{tmp_path}")
    assert sorted(int(e.image.stem) for e in data.train.entries) == [27_998, 27_999]
    assert sorted(int(e.image.stem) for e in data.validation_set.entries) == [28_000, 28_001]
    assert (tmp_path / "CelebAMask-HQ-mask-anno" / "13").is_dir()  # 27,998 // 2,000
    evaluation = open_evaluation_data(DataChoice.parse(f"celebamask-hq:{tmp_path}"), SIZE, say=QUIET)
    assert sorted(int(e.image.stem) for e in evaluation.entries) == [28_000, 28_001]


def test_images_resize_to_the_model_and_labels_stay_ids(tmp_path):
    truth = write_celebamask_hq(tmp_path, [0], size=128)  # CelebA-HQ images are larger than the model
    face = _open(f"celebamask-hq:{tmp_path}", size=32).train[0]
    assert face.image.shape == (32, 32, 3) and face.labels.shape == (32, 32)
    assert set(np.unique(face.labels)) <= set(np.unique(truth[0]))


def test_a_folder_that_is_not_celebamask_hq_says_what_it_expected_and_found(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(InputError) as error:
        _open(f"celebamask-hq:{tmp_path}")
    message = str(error.value)
    assert "CelebA-HQ-img/" in message and "CelebAMask-HQ-mask-anno/" in message and "photos" in message


def test_missing_and_broken_celebamask_files_are_skipped_and_counted(tmp_path):
    write_celebamask_hq(tmp_path, [0, 1, 2, 3])
    (tmp_path / "CelebA-HQ-img" / "1.jpg").write_bytes(b"not a jpeg")
    for mask in (tmp_path / "CelebAMask-HQ-mask-anno" / "0").glob("00002_*.png"):
        mask.unlink()
    data = _open(f"celebamask-hq:{tmp_path}")
    assert data.train.skipped_when_listed.counts == {"images without part masks": 1}
    batch = data.train.batch([0, 1, 2])  # images 0, 1 (broken), 3
    assert batch.ids.tolist() == [0, 2, 2]  # training: the next readable face stands in
    assert batch.skipped.counts == {"unreadable images": 1}
    assert "CelebA-HQ-img/1.jpg" in batch.skipped.summary()
    evaluated = FaceDataset(data.train.entries, "celebamask-hq", SIZE)  # no stand-ins: measuring
    assert evaluated.batch([0, 1, 2]).ids.tolist() == [0, 2]


# -- folders ------------------------------------------------------------------------------------
def test_a_labelled_folder_reads_its_maps_exactly(tmp_path):
    truth = write_face_folder(tmp_path, 12)
    data = _open(f"folder:{tmp_path}", validation_faces=3)
    assert len(data.train) == 9 and len(data.validation_set) == 3  # the last 3 held out
    for dataset in (data.train, data.validation_set):
        for index, entry in enumerate(dataset.entries):
            np.testing.assert_array_equal(dataset[index].labels, truth[entry.image.stem])


def test_a_folder_run_can_validate_on_celebamask_hqs_split(tmp_path):
    truth = write_celebamask_hq(tmp_path / "celeba", [28_000, 28_001], seed_offset=-27_990)
    write_face_folder(tmp_path / "faces", 3)
    data = _open(f"folder:{tmp_path / 'faces'}", validation=f"celebamask-hq:{tmp_path / 'celeba'}")
    assert len(data.train) == 3 and data.validation_set.label_format == "celebamask-hq"
    batch = data.validation(2)
    np.testing.assert_array_equal(batch.labels[0].numpy(), truth[28_000])


@pytest.mark.parametrize("form", ["e4s", "celebamask-hq", "bisenet", "color"])
def test_label_forms_are_told_apart_and_read_the_same(tmp_path, form):
    truth = write_face_folder(tmp_path, 3, labels=None)
    (tmp_path / "images").rename(tmp_path / "flat")
    for name, labels in truth.items():
        Image.fromarray(coded_labels(labels, form)).save(tmp_path / "flat" / f"{name}_labels.png")
    data = _open(f"folder:{tmp_path / 'flat'}", validation_faces=1)
    assert data.description["label_format"] == form
    for index, entry in enumerate(data.train.entries):
        np.testing.assert_array_equal(data.train[index].labels, truth[entry.image.stem])


def test_ambiguous_or_binary_label_maps_ask_for_the_format():
    binary = np.zeros((8, 8), np.uint8)
    binary[2:6] = 255
    with pytest.raises(InputError, match="--labels-format"):
        detect_label_format([binary])
    no_hair_or_neck = np.full((8, 8), 15, np.uint8)
    with pytest.raises(InputError, match="--labels-format celebamask-hq"):
        detect_label_format([no_hair_or_neck])


def test_folder_errors_name_what_was_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no face images"):
        _open(f"folder:{tmp_path / 'empty'}")
    write_face_folder(tmp_path / "unlabelled", 2, labels=None)
    with pytest.raises(InputError, match="--parser landmarks"):
        _open(f"folder:{tmp_path / 'unlabelled'}")
    (tmp_path / "other_labels").mkdir()
    (tmp_path / "other_labels" / "x.png").write_bytes(b"")
    with pytest.raises(InputError, match="no label map named like the images"):
        _open(f"folder:{tmp_path / 'unlabelled'}", labels=tmp_path / "other_labels")
    with pytest.raises(InputError, match="does not exist"):
        _open(f"folder:{tmp_path / 'nowhere'}")
    with pytest.raises(InputError, match="expected synthetic"):
        DataChoice.parse("imagenet:/data")


def test_bad_files_in_a_folder_are_skipped_counted_and_summarised(tmp_path):
    write_face_folder(tmp_path, 6)
    (tmp_path / "images" / "face_001.png").write_bytes(b"\x89PNG broken")
    Image.fromarray(np.zeros((64, 32), np.uint8)).save(tmp_path / "labels" / "face_002.png")  # not square
    Image.fromarray(np.zeros((48, 48), np.uint8)).save(tmp_path / "labels" / "face_004.png")  # 0.75 x
    (tmp_path / "labels" / "face_003.png").unlink()
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "labels" / "face_999.png")  # no image
    data = _open(f"folder:{tmp_path}", validation_faces=1)
    listed = data.train.skipped_when_listed
    assert listed.counts == {"images without a label map": 1, "label maps without an image": 1}
    assert "images/face_003.png" in listed.summary() and "face_999.png" in listed.summary()
    assert [e.image.stem for e in data.train.entries] == ["face_000", "face_001", "face_002", "face_004"]
    measured = FaceDataset(data.train.entries, "e4s", SIZE).batch([0, 1, 2, 3])
    assert measured.ids.tolist() == [0]
    assert measured.skipped.counts == {"unreadable images": 1, "faces or label maps of the wrong size": 2}
    stood_in = data.train.batch([1])  # training: 001, 002 and 004 fail, 000 (wrapping round) stands in
    assert stood_in.ids.tolist() == [0] and stood_in.skipped.total == 3


def test_a_folder_of_unreadable_faces_stops_training_with_the_reasons(tmp_path):
    from conftest import tiny_config

    from e4s_core.training import LossWeights, Trainer, TrainSettings

    write_face_folder(tmp_path / "faces", 4)
    for image in (tmp_path / "faces" / "images").iterdir():
        image.write_bytes(b"junk")
    data = _open(f"folder:{tmp_path / 'faces'}", validation_faces=1)
    weights = LossWeights(perceptual=0, identity=0, parsing=0, adversarial=0)
    settings = TrainSettings(steps=2, batch_size=2, data_workers=0, validation_faces=1, weights=weights)
    expected = r"could be read: skipped 3: 3 unreadable images \(e\.g\. images/face_000.png"
    with pytest.raises(InputError, match=expected):
        Trainer(tiny_config(), settings, tmp_path / "run", data=data).fit()


@pytest.fixture
def random_bisenet_file(tmp_path):
    """A BiSeNet weight file with random weights: labels are nonsense but valid ids."""
    from e4s_core.photo.bisenet import BiSeNet

    torch.manual_seed(0)
    path = tmp_path / "random_bisenet.pth"
    torch.save(BiSeNet().state_dict(), path)
    return path


def test_an_unlabelled_folder_is_parsed_once_into_the_cache(tmp_path, random_bisenet_file):
    write_face_folder(tmp_path / "faces", 3, labels=None)
    said = []
    options = {"parser": str(random_bisenet_file), "label_cache": tmp_path / "cache"}
    data = open_training_data(
        DataChoice.parse(f"folder:{tmp_path / 'faces'}", **options), SIZE, 1, said.append
    )
    assert any(": 3 parsed now, 0 from the cache" in line for line in said)
    cached = sorted((tmp_path / "cache").rglob("*.png"))
    assert len(cached) == 3 and data.description["label_format"] == "e4s"
    assert data.train[0].labels.shape == (SIZE, SIZE)
    said.clear()
    open_training_data(DataChoice.parse(f"folder:{tmp_path / 'faces'}", **options), SIZE, 1, said.append)
    assert any(": 0 parsed now, 3 from the cache" in line for line in said)  # all from the cache
    index = json.loads(next((tmp_path / "cache").rglob("index.json")).read_text())
    assert len(index) == 3  # sizes and times: the images are not read again to find their labels
    changed = tmp_path / "faces" / "images" / "face_001.png"
    Image.fromarray(np.asarray(Image.open(changed))[::-1]).save(changed)
    said.clear()
    open_training_data(DataChoice.parse(f"folder:{tmp_path / 'faces'}", **options), SIZE, 1, said.append)
    assert any(": 1 parsed now, 2 from the cache" in line for line in said)  # the changed one, only


def test_the_built_in_parsers_cache_is_kept_apart_per_version(tmp_path, monkeypatch):
    """Labels the built-in parser made before a change of its code or models are not reused."""
    from e4s_core import paths
    from e4s_core.training.label_cache import parser_tag

    tag = parser_tag("landmarks")
    assert tag.startswith("landmarks-") and len(tag) == len("landmarks-") + 12
    changed_model = tmp_path / "face_landmark.tflite"
    changed_model.write_bytes(paths.FACE_MESH_FILE.read_bytes()[:-1])
    monkeypatch.setattr(paths, "FACE_MESH_FILE", changed_model)
    assert parser_tag("landmarks") != tag


# -- sampling -----------------------------------------------------------------------------------
def test_flipped_faces_are_mirror_images_with_the_same_region_ids(tmp_path):
    write_face_folder(tmp_path, 2)
    dataset = _open(f"folder:{tmp_path}", validation_faces=1).train
    plain, flipped = dataset[(0, False)], dataset[(0, True)]
    np.testing.assert_array_equal(flipped.image, plain.image[:, ::-1])
    np.testing.assert_array_equal(flipped.labels, plain.labels[:, ::-1])


def test_ranks_see_disjoint_faces_and_a_resumed_sampler_continues_exactly():
    count, batch = 40, 3
    per_epoch = EpochBatches(count, batch, 0, 0, 2, seed=5).per_epoch
    assert per_epoch == 6  # 20 faces per rank per epoch, whole batches of 3
    ranks = [_first(EpochBatches(count, batch, 0, rank, 2, seed=5), per_epoch) for rank in (0, 1)]
    seen = [{i for keys in batches for i, _ in keys} for batches in ranks]
    assert not seen[0] & seen[1]  # one epoch: no face on both ranks
    whole = _first(EpochBatches(count, batch, 0, 0, 2, seed=5), 10)
    resumed = _first(EpochBatches(count, batch, 4, 0, 2, seed=5), 6)
    assert resumed == whole[4:]  # across the epoch boundary (6 batches per epoch) too
    flips = [flip for keys in whole for _, flip in keys]
    assert 0 < sum(flips) < len(flips)


def _first(batches, count: int) -> list:
    return [keys for _, keys in zip(range(count), batches, strict=False)]


def test_too_few_faces_for_one_step_is_a_clear_error():
    with pytest.raises(InputError, match="lower --batch-size"):
        EpochBatches(3, 4, 0, 0, 1, seed=0)


def test_loader_workers_keep_the_order_of_the_single_process_stream(tmp_path):
    write_face_folder(tmp_path, 8)
    data = _open(f"folder:{tmp_path}", validation_faces=1)
    single = data.stream(2, 0, 0, 1, workers=0, seed=3)
    parallel = data.stream(2, 0, 0, 1, workers=2, seed=3)
    for _ in range(4):
        a, b = next(single), next(parallel)
        assert torch.equal(a.ids, b.ids) and torch.equal(a.images, b.images)


def test_grey_label_maps_saved_as_rgb_are_read_as_ids(tmp_path):
    truth = write_face_folder(tmp_path, 2, labels=None)
    (tmp_path / "labels").mkdir()
    for name, labels in truth.items():
        Image.fromarray(np.dstack([coded_labels(labels, "celebamask-hq")] * 3)).save(
            tmp_path / "labels" / f"{name}.png"
        )
    data = _open(f"folder:{tmp_path}", validation_faces=1)
    assert data.description["label_format"] == "celebamask-hq"
    np.testing.assert_array_equal(data.train[0].labels, truth[data.train.entries[0].image.stem])
