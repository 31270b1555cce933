"""The kept copy of a photo: upright, at most 2048 px, no metadata; clean small JPEGs kept as sent."""

from __future__ import annotations

import io

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.errors import NotAnImage
from engine.photos.keep import decode_kept, keep_photo, metadata_of

ASTRONAUT = skimage.data.astronaut()


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def exif_with_gps_and_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x0110] = "Secret Phone 12"  # Model
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0)}  # GPS IFD
    return exif


def test_a_large_photo_with_exif_is_turned_upright_shrunk_and_stripped():
    tall = Image.fromarray(ASTRONAUT).resize((3000, 4000))  # portrait, 12 MP
    # Stored sideways with "rotate 90° clockwise to view" (orientation 6): upright it is 3000 wide.
    sideways = tall.transpose(Image.Transpose.ROTATE_90)
    data = encode(
        sideways,
        "JPEG",
        quality=95,
        exif=exif_with_gps_and_orientation(6),
        icc_profile=b"profile",
        comment=b"taken at home",
    )
    assert metadata_of(data)  # the control: it does carry metadata

    kept = keep_photo(data)
    assert kept.size == (1536, 2048)
    assert metadata_of(kept.data) == {}
    assert b"SERIAL" not in kept.data and b"Secret" not in kept.data and b"home" not in kept.data
    np.testing.assert_array_equal(kept.pixels, decode_kept(kept.data))
    upright = np.asarray(tall.resize(kept.size), dtype=int)
    assert np.abs(kept.pixels.astype(int) - upright).mean() < 8  # the right way up, not sideways


def test_a_small_clean_jpeg_is_kept_byte_for_byte():
    data = encode(Image.fromarray(ASTRONAUT), "JPEG", quality=87)
    assert metadata_of(data) == {}
    kept = keep_photo(data)
    assert kept.data == data and kept.size == (512, 512)


def test_a_small_jpeg_with_exif_is_reencoded_without_it():
    data = encode(Image.fromarray(ASTRONAUT), "JPEG", exif=exif_with_gps_and_orientation(1))
    kept = keep_photo(data)
    assert kept.data != data and metadata_of(kept.data) == {} and kept.size == (512, 512)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_other_formats_become_a_plain_jpeg(fmt):
    kept = keep_photo(encode(Image.fromarray(ASTRONAUT), fmt))
    assert kept.data[:2] == b"\xff\xd8" and kept.content_type == "image/jpeg" and metadata_of(kept.data) == {}


def test_not_a_picture_is_refused_in_words():
    with pytest.raises(NotAnImage):
        keep_photo(b"hello")
