"""Reading and writing real-world photo files: formats, modes, orientation, metadata, bad inputs."""

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from e4s_core.errors import ImageTooSmallError, InputError, UnreadableImageError
from e4s_core.photo import io as photo_io
from e4s_core.photo.io import MIN_PHOTO_SIDE, Photo, downscaled, read_photo, write_photo

RED, GRAY = (255, 0, 0), (128, 128, 128)
ORIENTATION = 0x0112


def gradient(height: int = 96, width: int = 128) -> np.ndarray:
    """A smooth, asymmetric uint8 [H, W, 3] test picture."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1).astype(
        np.uint8
    )


def marked(width: int = 80, height: int = 120) -> Image.Image:
    """Gray, with a red 20 x 20 block at the stored top-left corner."""
    image = Image.new("RGB", (width, height), GRAY)
    image.paste(RED, (0, 0, 20, 20))
    return image


def red_corner(rgb: np.ndarray) -> str:
    """Which corner of ``rgb`` holds the red block: 'TL', 'TR', 'BL' or 'BR'."""
    corners = {"TL": rgb[5, 5], "TR": rgb[5, -6], "BL": rgb[-6, 5], "BR": rgb[-6, -6]}
    found = [name for name, pixel in corners.items() if pixel[0] > 200 and pixel[1] < 60]
    assert len(found) == 1, corners
    return found[0]


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def header_only_png(path: Path, width: int, height: int) -> Path:
    """A PNG that declares width x height but holds almost no data: cheap to make and to open."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 8))
        + chunk(b"IEND", b"")
    )
    return path


# --- formats and modes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix, fmt", [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WEBP"), (".bmp", "BMP"), (".tif", "TIFF")]
)
def test_common_formats_read_as_upright_uint8_rgb(tmp_path, suffix, fmt):
    path = tmp_path / f"photo{suffix}"
    Image.fromarray(gradient()).save(path)
    photo = read_photo(path)
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape == (96, 128, 3)
    assert (photo.width, photo.height) == (128, 96)
    assert (photo.source_format, photo.source_mode, photo.source) == (fmt, "RGB", path)
    assert photo.alpha is None
    assert np.abs(photo.rgb.astype(int) - gradient()).mean() < 3


@pytest.mark.parametrize(
    "orientation, corner, shape",
    [
        (1, "TL", (120, 80)),
        (2, "TR", (120, 80)),
        (3, "BR", (120, 80)),
        (4, "BL", (120, 80)),
        (5, "TL", (80, 120)),
        (6, "TR", (80, 120)),
        (7, "BR", (80, 120)),
        (8, "BL", (80, 120)),
    ],
)
def test_exif_orientation_shows_photo_as_a_viewer_would(tmp_path, orientation, corner, shape):
    # Expected corners from the EXIF spec: e.g. 6 = "row 0 is the visual right side" -> top-right.
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    path = tmp_path / f"oriented{orientation}.jpg"
    marked().save(path, exif=exif, quality=95)
    photo = read_photo(path)
    assert photo.rgb.shape[:2] == shape
    assert red_corner(photo.rgb) == corner
    carried = Image.Exif()
    carried.load(photo.exif)
    assert carried[ORIENTATION] == 1


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_orientation_is_read_from_png_webp_and_tiff_too(tmp_path, suffix):
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    path = tmp_path / f"oriented{suffix}"
    marked().save(path, exif=exif)
    photo = read_photo(path)
    assert photo.rgb.shape == (80, 120, 3) and red_corner(photo.rgb) == "TR"


def test_palette_photo_keeps_its_transparency_when_rotated(tmp_path):
    image = Image.new("P", (80, 120), 1)
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    image.paste(0, (60, 0, 80, 20))  # transparent block at the stored top-right
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    path = tmp_path / "rotated_palette.png"
    image.save(path, transparency=0, exif=exif)
    photo = read_photo(path)
    assert photo.alpha.shape == (80, 120)
    assert (photo.alpha[-20:, -20:] == 0).all() and (photo.alpha[:60] == 255).all()  # now bottom-right


def test_grayscale_photo_becomes_gray_rgb(tmp_path):
    path = tmp_path / "gray.png"
    Image.fromarray(gradient()[..., 0]).save(path)
    photo = read_photo(path)
    assert photo.source_mode == "L" and photo.alpha is None
    assert np.array_equal(photo.rgb[..., 0], gradient()[..., 0])
    assert np.array_equal(photo.rgb[..., 0], photo.rgb[..., 2])


def test_gray_with_alpha_is_matted_on_white_and_keeps_alpha(tmp_path):
    values = np.zeros((64, 64, 2), np.uint8)  # black...
    values[:, 32:, 1] = 255  # ...transparent on the left, opaque on the right
    path = tmp_path / "la.png"
    Image.fromarray(values, "LA").save(path)
    photo = read_photo(path)
    assert photo.source_mode == "LA"
    assert np.array_equal(photo.alpha, values[..., 1])
    assert (photo.rgb[:, :32] == 255).all() and (photo.rgb[:, 32:] == 0).all()


def test_palette_with_transparent_index_keeps_alpha(tmp_path):
    image = Image.new("P", (64, 64), 1)
    image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    image.paste(0, (0, 0, 64, 16))  # index 0 is the transparent one
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)
    photo = read_photo(path)
    assert photo.source_mode == "P"
    assert (photo.alpha[:16] == 0).all() and (photo.alpha[16:] == 255).all()
    assert (photo.rgb[:16] == 255).all()
    assert (photo.rgb[16:] == (0, 200, 0)).all()


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (80, 80), (0, 255, 255, 0)).save(path, quality=95)  # red ink
    photo = read_photo(path)
    assert photo.source_mode == "CMYK" and photo.rgb.shape == (80, 80, 3)
    red, green, blue = photo.rgb[40, 40].astype(int)
    assert red > 240 and green < 15 and blue < 15


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_gray_keeps_its_range_instead_of_clipping(tmp_path, suffix):
    values = np.tile(np.linspace(0, 65535, 128).astype(np.uint16), (64, 1))
    path = tmp_path / f"deep{suffix}"
    Image.fromarray(values).save(path)
    photo = read_photo(path)
    assert photo.source_mode.startswith("I;16")
    assert np.array_equal(photo.rgb[..., 1], (values >> 8).astype(np.uint8))
    assert 120 < photo.rgb[0, 64, 0] < 136  # mid-gray; a clip to 255 would make it white


def test_32bit_integer_tiff_is_scaled_by_its_value_range(tmp_path):
    sixteen = np.tile(np.linspace(0, 65535, 128).astype(np.int32), (64, 1))
    eight = np.tile(np.arange(128, dtype=np.int32) * 2, (64, 1))
    for values, expected in ((sixteen, sixteen >> 8), (eight, eight)):
        path = tmp_path / "int.tif"
        Image.fromarray(values).save(path)
        photo = read_photo(path)
        assert photo.source_mode == "I"
        assert np.array_equal(photo.rgb[..., 0], expected.astype(np.uint8))


def test_16bit_rgb_tiff_reads_as_high_bytes(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 128).astype(np.uint16), (64, 1))
    path = tmp_path / "deep_rgb.tif"
    assert cv2.imwrite(str(path), np.dstack([ramp // 3, ramp // 2, ramp]))  # OpenCV writes BGR
    photo = read_photo(path)
    assert np.array_equal(photo.rgb[..., 0], (ramp >> 8).astype(np.uint8))
    assert np.array_equal(photo.rgb[..., 2], ((ramp // 3) >> 8).astype(np.uint8))


@pytest.mark.parametrize("peak", [1.0, 255.0])
def test_float_tiff_is_read_as_0_to_1_or_0_to_255(tmp_path, peak):
    values = np.tile(np.linspace(0, peak, 128, dtype=np.float32), (64, 1))
    path = tmp_path / "float.tif"
    Image.fromarray(values).save(path)
    photo = read_photo(path)
    assert photo.source_mode == "F"
    assert photo.rgb[0, 0, 0] == 0 and photo.rgb[0, -1, 0] == 255
    assert abs(int(photo.rgb[0, 64, 0]) - 129) <= 1


def test_rgba_is_composited_on_white_and_alpha_kept(tmp_path):
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 0] = 255  # red everywhere, with alpha 0 | 128 | 255 in three bands
    rgba[:, 20:40, 3] = 128
    rgba[:, 40:, 3] = 255
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba).save(path)
    photo = read_photo(path)
    assert np.array_equal(photo.alpha, rgba[..., 3])
    assert (photo.rgb[:, :20] == 255).all()  # transparent -> white
    assert (photo.rgb[:, 20:40] == (255, 127, 127)).all()  # half red over white
    assert (photo.rgb[:, 40:] == RED).all()


def test_animated_gif_and_webp_give_their_first_frame(tmp_path):
    frames = [Image.new("RGB", (64, 64), color) for color in (RED, (0, 0, 255))]
    for suffix, options in ((".gif", {}), (".webp", {"lossless": True})):
        path = tmp_path / f"animated{suffix}"
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0, **options)
        photo = read_photo(path)
        assert (photo.rgb == RED).all(), suffix


def test_non_ascii_file_name(tmp_path):
    path = tmp_path / "фото_写真.png"
    Image.fromarray(gradient()).save(path)
    assert np.array_equal(read_photo(path).rgb, gradient())
    out = write_photo(gradient(), tmp_path / "结果_результат.jpg")
    assert read_photo(out).rgb.shape == (96, 128, 3)


def test_10000_px_photo_loads_and_downscales_for_detection(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("L", (10000, 10000), 90).save(path)  # one color: a small file
    photo = read_photo(path)
    small, scale = downscaled(photo.rgb, 1024)
    assert photo.rgb.shape == (10000, 10000, 3) and photo.rgb[5000, 5000, 1] == 90
    assert small.shape == (1024, 1024, 3) and scale == pytest.approx(0.1024)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [20001, 30000])  # past our limit; past Pillow's own bomb error
def test_photo_over_400_megapixels_is_refused_with_the_limit(tmp_path, side):
    path = header_only_png(tmp_path / "enormous.png", side, side)
    with pytest.raises(InputError, match="400-megapixel") as caught:
        read_photo(path)
    assert "enormous.png" in str(caught.value)


def test_pixel_limit_is_one_constant(tmp_path, monkeypatch):
    monkeypatch.setattr(photo_io, "MAX_PHOTO_PIXELS", 100 * 100)
    path = tmp_path / "big.png"
    Image.fromarray(gradient(101, 100)).save(path)
    with pytest.raises(InputError, match="big.png"):
        read_photo(path)


def test_image_below_minimum_side_is_too_small(tmp_path):
    ok, small = tmp_path / "ok.png", tmp_path / "thumb.png"
    Image.fromarray(gradient(MIN_PHOTO_SIDE, 300)).save(ok)
    Image.fromarray(gradient(MIN_PHOTO_SIDE - 1, 300)).save(small)
    assert read_photo(ok).height == MIN_PHOTO_SIDE
    with pytest.raises(ImageTooSmallError, match="thumb.png"):
        read_photo(small)


# --- bad inputs ----------------------------------------------------------------------------------


def _truncated(path: Path, suffix: str) -> None:
    Image.fromarray(gradient(256, 256)).save(path.with_suffix(suffix))
    data = path.with_suffix(suffix).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _crc_broken_png(path: Path) -> None:
    Image.fromarray(gradient()).save(path)
    data = bytearray(path.read_bytes())
    data[data.index(b"IDAT") + 20] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "name, make",
    [
        ("missing.jpg", lambda path: None),
        ("folder.png", lambda path: path.mkdir()),
        ("empty.jpg", lambda path: path.write_bytes(b"")),
        ("notes.png", lambda path: path.write_text("not a picture\n" * 50)),
        ("cut.jpg", lambda path: _truncated(path, ".full.jpg")),
        ("cut.png", lambda path: _truncated(path, ".full.png")),
        ("bad_crc.png", _crc_broken_png),
    ],
)
def test_unreadable_files_raise_an_error_naming_the_file(tmp_path, name, make):
    path = tmp_path / name
    make(path)
    with pytest.raises(UnreadableImageError) as caught:
        read_photo(path)
    assert name in str(caught.value)


# --- writing and round trips ---------------------------------------------------------------------


def test_png_round_trip_keeps_alpha_and_soft_edges(tmp_path):
    rgba = np.dstack([gradient(), np.tile(np.linspace(0, 255, 128).astype(np.uint8), (96, 1))])
    source = tmp_path / "cutout.png"
    Image.fromarray(rgba).save(source)
    first = read_photo(source)
    second = read_photo(write_photo(first, tmp_path / "again.png"))
    third = read_photo(write_photo(second, tmp_path / "third.png"))
    assert np.array_equal(second.alpha, rgba[..., 3])
    assert np.abs(second.rgb.astype(int) - first.rgb).max() <= 1  # edges do not lighten each time
    assert np.abs(third.rgb.astype(int) - first.rgb).max() <= 1
    written = np.asarray(Image.open(tmp_path / "again.png"))
    assert np.array_equal(written[:, -1], rgba[:, -1])  # opaque colors written exactly


@pytest.mark.parametrize("suffix", [".webp", ".tif"])
def test_webp_and_tiff_write_alpha(tmp_path, suffix):
    alpha = np.full((96, 128), 255, np.uint8)
    alpha[:, :40] = 0
    photo = read_photo(write_photo(gradient(), tmp_path / f"cut{suffix}", alpha=alpha))
    assert photo.alpha is not None and np.abs(photo.alpha.astype(int) - alpha).max() <= 2


@pytest.mark.parametrize("suffix", [".jpg", ".bmp"])
def test_formats_without_alpha_get_the_composited_pixels(tmp_path, suffix):
    alpha = np.zeros((96, 128), np.uint8)
    photo = read_photo(write_photo(gradient(), tmp_path / f"flat{suffix}", alpha=alpha))
    assert photo.alpha is None
    assert np.abs(photo.rgb.astype(int) - gradient()).mean() < 3


def test_jpeg_round_trip_is_close(tmp_path):
    photo = read_photo(write_photo(gradient(), tmp_path / "out.jpeg"))
    assert photo.source_format == "JPEG"
    assert np.abs(photo.rgb.astype(int) - gradient()).mean() < 3


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_icc_profile_survives_byte_identical(tmp_path, suffix):
    profile = srgb_profile()
    source = tmp_path / f"tagged{suffix}"
    Image.fromarray(gradient()).save(source, icc_profile=profile)
    photo = read_photo(source)
    assert photo.icc_profile == profile
    assert read_photo(write_photo(photo, tmp_path / f"out{suffix}")).icc_profile == profile


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_resaved_photo_is_not_rotated_twice(tmp_path, suffix):
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "E4S test camera"  # Make: other tags must come along untouched
    source = tmp_path / "phone.jpg"
    marked().save(source, exif=exif, quality=95)
    out = write_photo(read_photo(source), tmp_path / f"resaved{suffix}")
    again = read_photo(out)
    assert again.rgb.shape == (80, 120, 3) and red_corner(again.rgb) == "TR"
    with Image.open(out) as image:
        assert image.getexif()[ORIENTATION] == 1
        assert image.getexif()[0x010F] == "E4S test camera"


def test_write_forces_upright_orientation_in_given_exif(tmp_path):
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    out = write_photo(gradient(), tmp_path / "out.jpg", exif=exif.tobytes())
    with Image.open(out) as image:
        assert image.getexif()[ORIENTATION] == 1


def test_big_endian_exif_gets_upright_orientation_and_keeps_other_tags(tmp_path):
    entries = struct.pack(">HHI4s", 0x010F, 2, 4, b"E4S\0") + struct.pack(">HHIHH", ORIENTATION, 3, 1, 6, 0)
    block = b"Exif\0\0MM\0\x2a" + struct.pack(">IH", 8, 2) + entries + struct.pack(">I", 0)
    out = write_photo(gradient(), tmp_path / "motorola.jpg", exif=block)
    with Image.open(out) as image:
        assert image.getexif()[ORIENTATION] == 1 and image.getexif()[0x010F] == "E4S"
    assert read_photo(out).rgb.shape == (96, 128, 3)


def test_write_accepts_a_photo_or_an_array(tmp_path):
    photo = Photo(gradient())
    assert (photo.width, photo.height) == (128, 96)
    for item in (photo, gradient()):
        out = write_photo(item, tmp_path / "plain.png")
        assert np.array_equal(read_photo(out).rgb, gradient())


@pytest.mark.parametrize(
    "name, rgb",
    [
        ("out.gif", gradient()),
        ("out.xyz", gradient()),
        ("out.png", gradient()[..., 0]),
        ("out.png", gradient() * 1.0),
    ],
)
def test_bad_write_requests_are_refused_before_any_work(tmp_path, name, rgb):
    with pytest.raises(InputError, match=name):
        write_photo(rgb, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_write_into_missing_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="out.png"):
        write_photo(gradient(), tmp_path / "no_such_folder" / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_file_and_no_temp_file(tmp_path, monkeypatch):
    def save_half_then_fail(self, fp, format=None, **params):  # noqa: A002 - Pillow's name
        Path(fp).write_bytes(b"\x89PNG half of a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", save_half_then_fail)
    with pytest.raises(InputError, match="out.png.*No space left"):
        write_photo(gradient(), tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_downscaled_keeps_small_images_and_shrinks_large_ones():
    small = gradient()
    same, scale = downscaled(small, 128)
    assert same is small and scale == 1.0
    shrunk, scale = downscaled(small, 64)
    assert shrunk.shape == (48, 64, 3) and scale == 0.5
    assert np.abs(shrunk.astype(int) - cv2.resize(small, (64, 48), interpolation=cv2.INTER_AREA)).max() == 0
