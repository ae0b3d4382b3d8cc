"""The landmark face parser on two real public-domain photos shipped inside installed packages.

Checks are numeric and tied to the dlib landmarks (at 512 px = crop landmarks / 2), so they say
where each region must be without any hand-made ground truth.
"""

import itertools

import cv2
import numpy as np
import pytest

from e4s_core.errors import E4SError, NoFaceError
from e4s_core.photo import hair as hair_module
from e4s_core.photo import parse as parse_module
from e4s_core.photo.align import AlignedFace, AlignmentTransform, align_photo, aligned_as_is
from e4s_core.photo.face_frame import FOREHEAD_SCALE, FaceFrame
from e4s_core.photo.masks import fill_polygons, morph
from e4s_core.photo.parse import FaceParser, LandmarkParser, _prepare, parse_face
from e4s_core.regions import LABEL_MAP_SIZE, NUM_REGIONS, region_id
from e4s_core.synthetic import make_face

BACKGROUND, LIP, EYES, HAIR = (region_id(n) for n in ("background", "lip", "eyes", "hair"))
NOSE, SKIN, EARS, NECK, MOUTH = (region_id(n) for n in ("nose", "skin", "ears", "belowface", "mouth"))


def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        return np.asarray(image.convert("RGB"))


PHOTOS = {"astronaut": _astronaut, "grace_hopper": _grace_hopper}


@pytest.fixture(scope="module")
def aligned_photos() -> dict[str, AlignedFace]:
    return {name: align_photo(load(), name=name) for name, load in PHOTOS.items()}


@pytest.fixture(scope="module")
def results(aligned_photos) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (label map [512, 512], landmarks [68, 2] at 512 px), each photo parsed once."""
    return {
        name: (parse_face(face), face.landmarks * (LABEL_MAP_SIZE / face.image.shape[0]))
        for name, face in aligned_photos.items()
    }


@pytest.fixture(params=sorted(PHOTOS))
def parsed(request, results):
    return request.param, *results[request.param]


def _at(labels: np.ndarray, point) -> int:
    x, y = np.round(point).astype(int)
    return int(labels[y, x])


def _polygon_share(labels: np.ndarray, polygon: np.ndarray, values: tuple[int, ...]) -> float:
    mask = np.zeros(labels.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return float(np.isin(labels[mask > 0], values).mean())


def test_label_map_is_512_uint8_with_e4s_ids(parsed):
    _, labels, _ = parsed
    assert labels.shape == (LABEL_MAP_SIZE, LABEL_MAP_SIZE) and labels.dtype == np.uint8
    assert labels.max() < NUM_REGIONS
    assert {BACKGROUND, LIP, EYES, HAIR, NOSE, SKIN} <= set(np.unique(labels).tolist())


def test_eyes_cover_eye_centres_and_polygons(parsed):
    _, labels, lm = parsed
    for ring in (lm[36:42], lm[42:48]):
        assert _at(labels, ring.mean(0)) == EYES
        assert _polygon_share(labels, ring, (EYES,)) >= 0.8


def test_lips_surround_the_mouth(parsed):
    name, labels, lm = parsed
    assert _polygon_share(labels, lm[48:60], (LIP, MOUTH)) >= 0.7
    # Down the middle, from under the nose to the chin: skin, lip, the open mouth (the astronaut
    # smiles, grace_hopper's lips are closed), lip, skin.
    x = int(round((lm[51, 0] + lm[57, 0]) / 2))
    column = labels[int(lm[33, 1]) + 6 : int(lm[8, 1]) - 2, x]
    runs = [int(value) for value, *_ in itertools.groupby(column)]
    expected = [SKIN, LIP, MOUTH, LIP, SKIN] if name == "astronaut" else [SKIN, LIP, SKIN]
    assert runs == expected, name


def test_nose_tip_is_nose_and_cheeks_are_skin(parsed):
    _, labels, lm = parsed
    assert _at(labels, lm[30]) == NOSE
    assert _at(labels, (lm[2] + lm[31]) / 2) == SKIN
    assert _at(labels, (lm[14] + lm[35]) / 2) == SKIN


def test_hair_above_the_forehead_and_a_hat_as_background(parsed):
    name, labels, lm = parsed
    x = int(round(lm[27, 0]))
    brow_y = int(round(lm[17:27, 1].min()))
    column = labels[:brow_y, x - 2 : x + 3]  # [brow_y, 5] straight above the nose bridge
    if name == "astronaut":  # short hair with a fringe: the band 40-100 px above the brows is hair
        hair_rows = np.flatnonzero((column == HAIR).any(1))
        assert hair_rows.size and (column[hair_rows[0] :] == HAIR).mean() >= 0.5
        band = labels[brow_y - 100 : brow_y - 40, x - 10 : x + 11]
        assert (band == HAIR).mean() >= 0.7
    else:  # grace_hopper wears a navy cap: E4S labels hats as background, and her hair is grey
        cap = labels[brow_y - 130 : brow_y - 70, x - 10 : x + 11]
        assert (cap == BACKGROUND).mean() >= 0.9
        beside = labels[brow_y : brow_y + 100]  # eye height: grey hair left and right of the face
        assert (beside[:, : int(lm[0, 0])] == HAIR).sum() > 200
        assert (beside[:, int(lm[16, 0]) :] == HAIR).sum() > 200


def test_corners_are_background(parsed):
    _, labels, _ = parsed
    for corner in (labels[:20, :20], labels[:20, -20:], labels[-20:, :20], labels[-20:, -20:]):
        assert (corner == BACKGROUND).all()


def test_below_the_chin_is_neck_or_background_not_skin(parsed):
    _, labels, lm = parsed
    below = lm[8] + (0, 30)
    assert _at(labels, below) in (NECK, BACKGROUND)
    x, y = np.round(below).astype(int)
    assert not (labels[y - 3 : y + 4, x - 3 : x + 4] == SKIN).any()


def test_astronaut_has_neck_and_ears_beside_the_face(results):
    labels, lm = results["astronaut"]  # her neck and both ears are clearly visible
    assert _at(labels, lm[8] + (0, 15)) == NECK  # her collar starts about 25 px below the chin
    ys, xs = np.nonzero(labels == EARS)
    assert xs.size > 100
    assert ((xs < lm[36, 0]) | (xs > lm[45, 0])).all()  # beside the eyes' outer corners
    jaw = np.zeros(labels.shape, np.uint8)
    cv2.fillPoly(jaw, [np.round(lm[0:17]).astype(np.int32)], 1)
    assert (jaw[ys, xs] == 0).mean() > 0.9  # outside the jaw line, never on the face
    assert ((ys > lm[17:27, 1].min()) & (ys < lm[8, 1])).all()


def test_regions_stay_clear_of_eyes_and_nose(parsed):
    _, labels, lm = parsed
    for value in (HAIR, EARS, NECK, BACKGROUND):
        assert _at(labels, lm[36:42].mean(0)) != value
        assert _at(labels, lm[29]) != value


def test_crop_without_landmarks_finds_them_in_the_crop(aligned_photos, results):
    face = aligned_photos["astronaut"]
    as_is = AlignedFace(face.image, face.transform, None)  # as if opened as an aligned crop
    labels = parse_face(as_is)
    assert (labels == results["astronaut"][0]).mean() > 0.97


def test_crop_without_landmarks_or_face_raises_no_face_error():
    gray = np.full((256, 256, 3), 128, np.uint8)
    crop = AlignedFace(gray, AlignmentTransform.identity(256, (256, 256)), None)
    with pytest.raises(NoFaceError):
        parse_face(crop)


def test_any_face_parser_can_be_plugged_in():
    class Flat:
        name = "flat"

        def parse(self, aligned: AlignedFace) -> np.ndarray:
            return np.full((LABEL_MAP_SIZE, LABEL_MAP_SIZE), SKIN, np.uint8)

    parser: FaceParser = Flat()
    crop = AlignedFace(np.zeros((64, 64, 3), np.uint8), AlignmentTransform.identity(64, (64, 64)), None)
    labels = parse_face(crop, parser)
    assert labels.shape == (LABEL_MAP_SIZE, LABEL_MAP_SIZE) and (labels == SKIN).all()
    assert LandmarkParser.name == "landmarks"


@pytest.fixture(scope="module")
def held_out_corpus() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(true labels, parsed labels, landmarks at 512 px, RGB image) of corpus faces the parser's
    thresholds were not set on (those were set on seeds 200,000 and 300,000 and up)."""
    faces = []
    for seed in range(100_540, 100_640):
        face = make_face(seed, 512)
        aligned = aligned_as_is(face.image, 512)
        try:
            faces.append((face.labels, parse_face(aligned), _prepare(aligned)[1], face.image))
        except E4SError:
            continue
    return faces


def test_short_hair_is_hair_not_a_hat(held_out_corpus):
    """Faces whose hair lies almost all above the eyes (buns, crops): with little hair beside the
    face there is nothing to tell a hat by, and the hair on top must stay hair."""
    scores = []
    for truth, labels, *_ in held_out_corpus:
        hair, eyes = truth == HAIR, np.flatnonzero((truth == EYES).any(1))
        if hair.any() and eyes.size and hair[eyes[0] :].sum() <= 0.1 * hair.sum():
            scores.append(((labels == HAIR) & hair).sum() / ((labels == HAIR) | hair).sum())
    assert len(scores) >= 20
    assert np.median(scores) >= 0.75  # before: most such faces' hair was taken for a hat (IoU ~0.06)


def test_hair_over_the_forehead_is_found_even_near_the_skins_colour(held_out_corpus):
    """Fringes and hairlines between the eyes' outer corners, above the brows: brown hair over
    brown skin is within the cheeks' colour model, not within the forehead's own."""
    found = []
    for truth, labels, lm, _ in held_out_corpus:
        ys, xs = np.mgrid[:512, :512]
        forehead = (ys < lm[17:27, 1].min()) & (xs > lm[36, 0]) & (xs < lm[45, 0])
        hair = (truth == HAIR) & forehead
        if hair.sum() >= 2000:
            found.append(((labels == HAIR) & hair).sum() / hair.sum())
    assert len(found) >= 50
    assert np.mean(found) >= 0.9  # 0.87 with the cheeks' model alone


def test_a_dark_complexions_shadowed_neck_is_neck(held_out_corpus):
    """A dark complexion's neck in the chin's shadow is darker than any fixed "clothes are darker"
    line; it is measured against the cheeks' own lightness."""
    scores = []
    for truth, labels, _, image in held_out_corpus:
        lightness = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 0]
        if np.median(lightness[truth == SKIN]) < 110:  # OpenCV L; the corpus's darkest complexions
            neck, found = truth == NECK, labels == NECK
            scores.append((neck & found).sum() / max((neck | found).sum(), 1))
    assert len(scores) >= 10
    assert np.mean(scores) >= 0.7  # 0.30 with a fixed threshold (most of these necks became hair)


def test_hair_colour_is_not_learnt_from_background_the_person_mask_took_in():
    """Only what lies beside the face can be side hair: a patch of backdrop the person
    segmentation swallowed, far from the face and unlike the hair on top, is no reason to call
    that hair a hat."""
    size = 512
    face = FaceFrame(_prepare(aligned_as_is(make_face(100_541, size).image, size))[1])
    ys, xs = np.mgrid[:size, :size].astype(np.float32)
    v = face.v(np.stack([xs, ys], -1))
    inside = fill_polygons((size, size), face.outline(FOREHEAD_SCALE))
    lab = np.zeros((size, size, 3), np.uint8)
    lab[...] = (60, 130, 135)  # dark brown hair above the head
    far_patch = (xs < 40) & (v > 0) & (v < face.nose_v)  # the backdrop at the photo's edge, eye height
    lab[far_patch] = (200, 110, 170)
    around = ((v < face.brow_v) & ~morph(inside, 4)) | far_patch
    beside = morph(inside, int(parse_module.SIDE_HAIR_REACH * face.face_w))
    assert far_patch.sum() >= hair_module.MIN_SIDE_HAIR * face.face_w**2  # enough to be "side hair"
    no_fringe = np.zeros_like(around)
    _, hat = hair_module.hair_colour(lab, around, beside, no_fringe, v, face)
    assert not hat.any()
    _, hat_if_anywhere = hair_module.hair_colour(lab, around, np.ones_like(around), no_fringe, v, face)
    assert hat_if_anywhere.any()  # the same patch, counted as side hair, makes the hair a hat


def test_no_hair_in_a_thin_strip_along_the_jaw(results):
    """The face's shaded edge just outside dlib's jaw line is person but not hair-thick: below
    the eyes, nothing thinner than a few pixels along the jaw is hair (the astronaut had a
    strip there, which a hair edit then recoloured)."""
    for name, (labels, lm) in results.items():
        face = FaceFrame(lm)
        jaw_band = morph(fill_polygons(labels.shape, face.outline(FOREHEAD_SCALE)), 6)
        ys, xs = np.mgrid[: labels.shape[0], : labels.shape[1]].astype(np.float32)
        below_the_nose = face.v(np.stack([xs, ys], -1)) > face.nose_v
        hair = labels == HAIR
        thin = hair & ~morph(morph(hair, 4, cv2.MORPH_ERODE), 5) & jaw_band & below_the_nose
        _, _, stats, _ = cv2.connectedComponentsWithStats(thin.astype(np.uint8))
        assert stats[1:, cv2.CC_STAT_AREA].max(initial=0) < 15, name  # a rough edge of real hair is smaller


def test_brows_sit_on_their_darkest_hairs(held_out_corpus):
    """dlib's brow points wander a few pixels off the hairs; the brow polygons move to the
    darkest position within half a brow's thickness."""
    brows = region_id("eyebrows")
    scores = [
        ((labels == brows) & (truth == brows)).sum() / max(((labels == brows) | (truth == brows)).sum(), 1)
        for truth, labels, *_ in held_out_corpus
        if (truth == brows).any()
    ]
    assert len(scores) >= 50
    assert np.mean(scores) >= 0.345  # 0.361 now; 0.321 where they stay where dlib put them


def test_under_a_hat_no_hair_is_found_up_in_the_hat(results):
    """grace_hopper's cap: its gold trim is hair-coloured (grey-beige) but hangs nowhere near her
    face; under a hat, hair is what shows beside the face."""
    labels, lm = results["grace_hopper"]
    face = FaceFrame(lm)
    ys, xs = np.mgrid[: labels.shape[0], : labels.shape[1]].astype(np.float32)
    high_in_the_cap = face.v(np.stack([xs, ys], -1)) < face.brow_v - 0.5 * face.height
    assert not ((labels == HAIR) & high_in_the_cap).any()  # 4 pieces, ~750 px, before


def test_the_same_photo_gets_the_same_labels_whatever_ran_before(aligned_photos, results):
    """GrabCut's colour mixtures start from OpenCV's per-thread RNG: without a seed the parse of
    grace_hopper changed with what had used that RNG before, and from thread to thread (a batch
    on Ray wrote other bytes than the same batch run locally)."""
    import threading

    labels, _ = results["grace_hopper"]
    cv2.randu(np.zeros((64, 64)), 0, 1)  # advance this thread's RNG
    face = aligned_photos["grace_hopper"]
    again = parse_face(face)
    elsewhere = {}
    worker = threading.Thread(target=lambda: elsewhere.update(labels=parse_face(face)))
    worker.start()
    worker.join()
    assert np.array_equal(again, labels) and np.array_equal(elsewhere["labels"], labels)
