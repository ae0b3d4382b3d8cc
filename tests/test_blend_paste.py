"""Multi-band blending and paste-back of an aligned crop into its full-resolution photo."""

import cv2
import numpy as np
import pytest

from e4s_core.errors import InputError
from e4s_core.photo.blend import feathered_mask, laplacian_blend, pyramid_levels, pyramid_reach
from e4s_core.photo.paste import crop_roi, face_mask_from_labels, paste_back

CROP = 256  # crop side for the paste tests: small keeps them fast, the geometry is the same


def texture(height, width, seed, amplitude=40.0, sigma=1.5):
    """Smooth gradient plus blurred noise: uint8 [H, W, 3]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([60 + 120 * xx / width, 80 + 100 * yy / height, 150 - 60 * xx / width], axis=-1)
    noise = cv2.GaussianBlur(rng.normal(0, amplitude, (height, width, 3)).astype(np.float32), (0, 0), sigma)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def reference_blend(foreground, background, mask, levels):
    """Textbook Burt-Adelson: separate Laplacian pyramids of both images, blended per band."""

    def laplacian(image):
        gauss = [image.astype(np.float32)]
        for _ in range(levels - 1):
            gauss.append(cv2.pyrDown(gauss[-1]))
        bands = [g - cv2.pyrUp(gauss[k + 1], dstsize=g.shape[1::-1]) for k, g in enumerate(gauss[:-1])]
        return bands + [gauss[-1]]

    masks = [mask.astype(np.float32)]
    for _ in range(levels - 1):
        masks.append(cv2.pyrDown(masks[-1]))
    bands = [
        f * m[..., None] + b * (1 - m[..., None])
        for f, b, m in zip(laplacian(foreground), laplacian(background), masks, strict=True)
    ]
    result = bands[-1]
    for band in reversed(bands[:-1]):
        result = band + cv2.pyrUp(result, dstsize=band.shape[1::-1])
    return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def max_diff(a, b):
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


# ---------------------------------------------------------------- laplacian_blend


def test_full_mask_returns_foreground_and_empty_mask_returns_background():
    fg, bg = texture(64, 96, 1), texture(64, 96, 2)
    assert max_diff(laplacian_blend(fg, bg, np.ones((64, 96), np.float32)), fg) <= 1
    assert np.array_equal(laplacian_blend(fg, bg, np.zeros((64, 96), np.float32)), bg)


def test_half_mask_keeps_each_side_intact_away_from_the_seam():
    fg, bg = texture(64, 128, 3), texture(64, 128, 4)
    mask = np.zeros((64, 128), np.float32)
    mask[:, :64] = 1
    out = laplacian_blend(fg, bg, mask)
    reach = pyramid_reach(pyramid_levels(64, 128))
    assert max_diff(out[:, : 64 - reach], fg[:, : 64 - reach]) <= 1
    assert np.array_equal(out[:, 64 + reach :], bg[:, 64 + reach :])


def test_blend_softens_the_seam_between_flat_colors():
    fg = np.full((64, 128, 3), 200, np.uint8)
    bg = np.full((64, 128, 3), 40, np.uint8)
    mask = np.zeros((64, 128), np.float32)
    mask[:, :64] = 1
    hard = np.where(mask[..., None] > 0, fg, bg)
    step = lambda image: np.abs(np.diff(image.astype(np.int16), axis=1)).max()  # noqa: E731
    out = laplacian_blend(fg, bg, mask)
    assert step(out) < step(hard) / 4
    row = out[32, :, 0].astype(int)
    assert np.all(np.diff(row) <= 0), "a flat-to-flat blend must be a monotone ramp"


def test_odd_sizes_match_the_textbook_blend():
    fg, bg = texture(37, 53, 5), texture(37, 53, 6)
    mask = np.zeros((37, 53), np.float32)
    cv2.circle(mask, (20, 18), 11, 1.0, -1)
    levels = pyramid_levels(37, 53)
    out = laplacian_blend(fg, bg, mask)
    assert out.shape == (37, 53, 3) and out.dtype == np.uint8
    assert levels == 3
    assert max_diff(out, reference_blend(fg, bg, mask, levels)) <= 1


def test_blend_changes_nothing_beyond_the_pyramid_reach():
    fg, bg = texture(120, 140, 7), texture(120, 140, 8)
    mask = np.zeros((120, 140), np.float32)
    mask[50:60, 60:75] = 1
    for levels in (1, 2, 3, 4):
        out = laplacian_blend(fg, bg, mask, levels)
        reach = pyramid_reach(levels)
        changed = np.any(out != bg, axis=-1)
        ys, xs = np.nonzero(changed)
        assert ys.min() >= 50 - reach and ys.max() < 60 + reach
        assert xs.min() >= 60 - reach and xs.max() < 75 + reach


def test_one_level_is_a_plain_alpha_composite():
    fg, bg = texture(20, 30, 9), texture(20, 30, 10)
    mask = np.linspace(0, 1, 30, dtype=np.float32)[None].repeat(20, 0)
    expected = np.rint(fg * mask[..., None] + bg * (1 - mask[..., None])).astype(np.uint8)
    assert max_diff(laplacian_blend(fg, bg, mask, levels=1), expected) <= 1


def test_blend_rejects_mismatched_inputs():
    fg = texture(20, 30, 1)
    with pytest.raises(InputError, match="same size"):
        laplacian_blend(fg, texture(21, 30, 2), np.ones((20, 30)))
    with pytest.raises(InputError, match="mask"):
        laplacian_blend(fg, fg, np.ones((30, 20)))
    with pytest.raises(InputError, match="uint8"):
        laplacian_blend(fg.astype(np.float32), fg, np.ones((20, 30)))


# ---------------------------------------------------------------- feathered_mask


def test_feathered_mask_ramps_inside_the_region_only():
    binary = np.zeros((80, 80), bool)
    binary[10:70, 10:70] = True
    soft = feathered_mask(binary, 8)
    assert soft.dtype == np.float32 and soft.shape == (80, 80)
    assert np.all(soft[~binary] == 0), "the soft edge must stay inside the region"
    assert np.all(soft[20:60, 20:60] == 1)
    row = soft[40, 10:41]
    assert np.all(np.diff(row) >= 0) and 0 < row[0] < 0.2
    assert np.array_equal(feathered_mask(binary.astype(np.uint8) * 255, 0), binary.astype(np.float32))


# ---------------------------------------------------------------- paste_back


def similarity(scale, degrees, center, size=CROP):
    """crop_to_photo for a square of ``size`` crop pixels rotated and scaled about ``center``."""
    angle = np.deg2rad(degrees)
    linear = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mid = np.array([(size - 1) / 2, (size - 1) / 2])
    return np.hstack([linear, (np.asarray(center, float) - linear @ mid)[:, None]])


def cut_crop(photo, crop_to_photo, size=CROP):
    """The aligned crop as the alignment step would make it: an inverse warp of the photo."""
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(photo, crop_to_photo, (size, size), flags=flags, borderMode=cv2.BORDER_REPLICATE)


def face_mask(size=CROP):
    """Crop mask built from a synthetic E4S label map: skin ellipse with nose and lips, hair above."""
    labels = np.zeros((128, 128), np.uint8)
    cv2.ellipse(labels, (64, 40), (44, 30), 0, 0, 360, 4, -1)  # hair
    cv2.ellipse(labels, (64, 70), (34, 44), 0, 0, 360, 6, -1)  # skin
    cv2.circle(labels, (64, 72), 6, 5, -1)  # nose
    cv2.ellipse(labels, (64, 92), (12, 4), 0, 0, 360, 1, -1)  # lips
    return face_mask_from_labels(labels, {1, 2, 3, 5, 6, 9}, size)


def photo_mask(mask, crop_to_photo, shape):
    return cv2.warpAffine(mask, crop_to_photo, shape[1::-1], flags=cv2.INTER_LINEAR) >= 0.5


def allowed_support(mask, crop_to_photo, shape, levels):
    """Pixels paste_back may touch: the warped mask grown by the pyramid's reach (+1 for rounding)."""
    binary = photo_mask(mask, crop_to_photo, shape).astype(np.uint8)
    grow = 2 * (pyramid_reach(levels) + 1) + 1
    return cv2.dilate(binary, np.ones((grow, grow), np.uint8)) > 0


def test_face_mask_from_labels_selects_regions_at_crop_size():
    mask = face_mask(CROP)
    assert mask.shape == (CROP, CROP) and mask.dtype == np.float32
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert mask[140, 128] == 1 and mask[10, 128] == 0  # skin in, hair out
    with pytest.raises(InputError, match="0..11"):
        face_mask_from_labels(np.zeros((8, 8), np.uint8), {12}, 8)


def test_unedited_crop_pastes_back_invisibly():
    photo = texture(600, 800, 11)
    before = photo.copy()
    a = similarity(1.2, 15, (400, 300))
    mask = face_mask()
    out = paste_back(photo, cut_crop(photo, a), a, mask, feather=6, levels=4)
    assert np.array_equal(photo, before), "the input photo must not be modified"
    inside = photo_mask(mask, a, photo.shape)
    error = np.abs(out.astype(np.int16) - photo.astype(np.int16))
    assert error[inside].mean() < 3
    outside = ~allowed_support(mask, a, photo.shape, 4)
    assert np.array_equal(out[outside], photo[outside])


def test_downscaled_crop_pastes_back_invisibly():
    """The usual case: the 1024 crop is bigger than the face in the photo (scale 0.3)."""
    photo = texture(600, 800, 12, sigma=3.0)
    a = similarity(0.3, 15, (400, 300), size=1024)
    mask = face_mask(1024)
    out = paste_back(photo, cut_crop(photo, a, 1024), a, mask)
    inside = photo_mask(mask, a, photo.shape)
    assert np.abs(out.astype(np.int16) - photo.astype(np.int16))[inside].mean() < 3


def test_edited_crop_changes_only_pixels_near_the_pasted_regions():
    photo = texture(600, 800, 13)
    a = similarity(1.2, 15, (400, 300))
    mask = face_mask()
    crop = cut_crop(photo, a)
    crop[110:170, 100:160] = (255, 0, 0)  # a red patch on the cheek/nose, inside the mask
    out = paste_back(photo, crop, a, mask, feather=6, levels=4)
    changed = np.any(out != photo, axis=-1)
    allowed = allowed_support(mask, a, photo.shape, 4)
    assert changed.any() and not np.any(changed & ~allowed)
    center = np.rint(a @ [130, 140, 1]).astype(int)
    assert tuple(out[center[1], center[0]]) == (255, 0, 0)


def test_whole_square_is_not_pasted_where_the_mask_is_off():
    """The authors' defect: pasting the whole square also replaces hair and background."""
    photo = texture(600, 800, 14)
    a = similarity(1.2, 15, (400, 300))
    edited = np.full((CROP, CROP, 3), 255, np.uint8)  # everything in the crop turned white
    mask = face_mask()
    out = paste_back(photo, edited, a, mask, feather=6, levels=4)
    corner = np.rint(a @ [5, 5, 1]).astype(int)  # a crop corner, outside the face mask
    assert np.array_equal(out[corner[1], corner[0]], photo[corner[1], corner[0]])


def test_square_partly_outside_the_photo_is_clipped():
    photo = texture(600, 800, 15)
    a = similarity(1.2, -10, (30, 40))
    mask = face_mask()
    crop = cut_crop(photo, a)
    crop[120:200, 80:180] = (0, 0, 255)
    out = paste_back(photo, crop, a, mask, feather=6, levels=3)
    changed = np.any(out != photo, axis=-1)
    assert changed.any() and not np.any(changed & ~allowed_support(mask, a, photo.shape, 3))


def test_square_entirely_outside_the_photo_is_refused():
    photo = texture(100, 100, 16)
    a = similarity(1.0, 15, (-1000, -1000))
    with pytest.raises(InputError, match="outside the photo"):
        paste_back(photo, np.zeros((CROP, CROP, 3), np.uint8), a, face_mask())


def test_paste_rejects_a_bad_transform():
    photo = texture(100, 100, 17)
    with pytest.raises(InputError, match="2x3"):
        paste_back(photo, np.zeros((CROP, CROP, 3), np.uint8), np.eye(3), face_mask())


def test_large_photo_is_processed_around_the_face_only():
    height, width = 4000, 6000
    photo = np.zeros((height, width, 3), np.uint8)
    photo[..., 0] = (np.arange(width) % 251).astype(np.uint8)
    photo[..., 1] = (np.arange(height) % 241).astype(np.uint8)[:, None]
    photo[..., 2] = 90
    before = photo.copy()
    a = similarity(0.8, 20, (4200, 1300))
    mask = face_mask()
    crop = cut_crop(photo, a)
    crop[100:180, 90:170] = (255, 255, 255)
    out = paste_back(photo, crop, a, mask)
    assert np.array_equal(photo, before)
    x0, y0, x1, y1 = crop_roi(photo.shape, a, CROP, margin=0)
    changed = np.any(out != photo, axis=-1)
    ys, xs = np.nonzero(changed)
    assert len(ys) > 0
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
