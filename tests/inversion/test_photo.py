"""Reading photos: formats, modes, orientation, limits and the errors a person sees."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.errors import DamagedImage, ImageTooLarge, ImageTooSmall, InversionError, NotAnImage
from engine.photos import HEIF_SUPPORTED, ImageLimits, read_image

ASTRONAUT = skimage.data.astronaut()


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height (a decompression bomb's calling card)."""
    data = bytearray(_encode(Image.new("RGB", (8, 8)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_png_bytes_path_pil_and_array_agree(tmp_path):
    png = _encode(Image.fromarray(ASTRONAUT), "PNG")
    path = tmp_path / "astronaut.png"
    path.write_bytes(png)
    for source in (png, str(path), path, Image.fromarray(ASTRONAUT), ASTRONAUT):
        out = read_image(source)
        assert out.dtype == np.uint8 and out.shape == (512, 512, 3)
        assert np.array_equal(out, ASTRONAUT)


def test_exif_orientation_is_honoured():
    stored = Image.fromarray(ASTRONAUT).transpose(Image.Transpose.ROTATE_90)  # as a sideways camera saves it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = read_image(_encode(stored, "PNG", exif=exif))
    assert np.array_equal(out, ASTRONAUT)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[:, :32] = (200, 10, 10, 255)  # opaque red half, transparent black half
    for source in (_encode(Image.fromarray(rgba, "RGBA"), "PNG"), rgba):
        out = read_image(source)
        assert tuple(out[0, 0]) == (200, 10, 10)
        assert tuple(out[0, 63]) == (255, 255, 255)


def test_greyscale_16_bit_is_scaled_not_clipped():
    grey16 = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    out = read_image(_encode(Image.fromarray(grey16), "PNG"))
    expected = np.rint(grey16 / 65535.0 * 255.0).astype(np.uint8)
    assert np.array_equal(out[..., 0], expected) and np.array_equal(out[..., 2], expected)
    assert out.max() == 255 and out.min() == 0


def test_greyscale_and_cmyk_become_rgb():
    grey = skimage.data.camera()
    out = read_image(_encode(Image.fromarray(grey), "PNG"))
    assert out.shape == (512, 512, 3) and np.array_equal(out[..., 1], grey)
    cmyk = Image.fromarray(ASTRONAUT).convert("CMYK")
    out = read_image(_encode(cmyk, "TIFF"))
    assert np.array_equal(out, ASTRONAUT)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animations_give_their_first_frame(fmt):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    extra = {"lossless": True} if fmt == "WEBP" else {}
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **extra)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    out = read_image(data)
    assert out[..., 0].mean() > 200 and out[..., 2].mean() < 30


@pytest.mark.skipif(not HEIF_SUPPORTED, reason="pillow-heif not installed")
def test_heic_is_read():
    out = read_image(_encode(Image.fromarray(ASTRONAUT), "HEIF", quality=90))
    assert out.shape == (512, 512, 3)
    assert np.abs(out.astype(int) - ASTRONAUT).mean() < 6


def test_text_file_named_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_text("this is not a picture\n")
    with pytest.raises(NotAnImage, match="not a picture I can read"):
        read_image(path)
    with pytest.raises(NotAnImage, match="empty"):
        read_image(b"")


def test_truncated_jpeg_is_damaged():
    jpeg = _encode(Image.fromarray(ASTRONAUT), "JPEG", quality=90)
    with pytest.raises(DamagedImage, match="damaged or incomplete"):
        read_image(jpeg[: len(jpeg) // 2])


def test_decompression_bombs_are_refused_before_decoding():
    # Over our pixel budget (64 MP by default) but under Pillow's guard: our check, from the header.
    bomb = _png_claiming_size(9_000, 9_000)
    assert len(bomb) < 200
    with pytest.raises(ImageTooLarge, match="81 megapixels"):
        read_image(bomb)
    # Far over: Pillow's own guard refuses it when opening, and stays on whatever our budget says.
    for limits in (None, ImageLimits(max_pixels=10**12)):
        with pytest.raises(ImageTooLarge, match="refused for safety"):
            read_image(_png_claiming_size(100_000, 100_000), limits)


def test_file_and_pixel_limits(tmp_path):
    png = _encode(Image.fromarray(ASTRONAUT), "PNG")
    path = tmp_path / "big.png"
    path.write_bytes(png)
    small_files = ImageLimits(max_bytes=len(png) - 1)
    for source in (png, path):
        with pytest.raises(ImageTooLarge, match="MB"):
            read_image(source, small_files)
    with pytest.raises(ImageTooLarge, match="megapixels"):
        read_image(png, ImageLimits(max_pixels=512 * 512 - 1))
    with pytest.raises(ImageTooLarge, match="megapixels"):
        read_image(ASTRONAUT, ImageLimits(max_pixels=1000))


def test_tiny_pictures_and_bad_arrays_are_refused():
    with pytest.raises(ImageTooSmall, match="too small"):
        read_image(_encode(Image.new("RGB", (20, 20)), "PNG"))
    with pytest.raises(NotAnImage, match="shape"):
        read_image(np.zeros((4, 64, 64, 3), dtype=np.uint8))


def test_all_photo_errors_share_one_base():
    for error in (NotAnImage, DamagedImage, ImageTooLarge, ImageTooSmall):
        assert issubclass(error, InversionError)
