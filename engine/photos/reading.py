"""Reading a sender's photo safely: bytes, a path, a PIL image or an array → RGB uint8 [H, W, 3].

Limits come first (file size before decoding, pixel count from the header before the pixels are
decoded, with Pillow's decompression-bomb guard kept on behind ours), then the picture is
put upright (EXIF orientation) and brought to 8-bit RGB whatever its mode: RGBA and LA are
composited on white, greyscale, palette, CMYK and 16-bit images are converted, and animated
GIF/WebP/PNG give their first frame. HEIC/HEIF is read when `pillow-heif` is installed.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import DamagedImage, ImageTooLarge, ImageTooSmall, InversionError, NotAnImage

try:  # optional: iPhone photos
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_SUPPORTED = False

ImageSource = bytes | bytearray | str | os.PathLike | Image.Image | np.ndarray


@dataclass(frozen=True)
class ImageLimits:
    """Bounds against abuse. The defaults fit ordinary phone photos (12–50 MP); 200 MP modes are refused."""

    max_bytes: int = 40 * 1024 * 1024    # encoded file size
    max_pixels: int = 64_000_000         # width × height, checked from the header before decoding
    min_side: int = 32                   # anything smaller holds no usable face


def read_image(source: ImageSource, limits: ImageLimits | None = None) -> np.ndarray:
    """Decode and normalise a photo to an upright RGB uint8 array [H, W, 3].

    Raises:
        NotAnImage: not a readable picture format (or an array of the wrong shape).
        DamagedImage: a picture file that is truncated or corrupt.
        ImageTooLarge: over `limits.max_bytes` or `limits.max_pixels`.
        ImageTooSmall: a side under `limits.min_side` pixels.
    """
    limits = limits or ImageLimits()
    if isinstance(source, np.ndarray):
        rgb = _array_to_rgb(source)
    elif isinstance(source, Image.Image):
        _check_pixels(source.size, limits)
        rgb = _to_rgb(ImageOps.exif_transpose(source))
    else:
        rgb = _decode(_read_bytes(source, limits), limits)
    _check_pixels((rgb.shape[1], rgb.shape[0]), limits)
    if min(rgb.shape[:2]) < limits.min_side:
        raise ImageTooSmall(
            f"That picture is only {rgb.shape[1]}×{rgb.shape[0]} pixels, too small to hold a face. "
            "Please send the original photo."
        )
    return rgb


def _read_bytes(source: bytes | bytearray | str | os.PathLike, limits: ImageLimits) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise NotAnImage(f"There is no file at {path}.")
        if path.stat().st_size > limits.max_bytes:
            raise too_many_bytes(path.stat().st_size, limits)
        data = path.read_bytes()
    if len(data) > limits.max_bytes:
        raise too_many_bytes(len(data), limits)
    if not data:
        raise NotAnImage("The file is empty. Please send a photo (JPEG, PNG, WebP, HEIC, ...).")
    return data


def too_many_bytes(size: int, limits: ImageLimits) -> ImageTooLarge:
    """The refusal of a file of `size` bytes (also said by the remote engine of a request body)."""
    return ImageTooLarge(
        f"That file is {size / 2**20:.1f} MB; the limit is {limits.max_bytes / 2**20:.0f} MB. "
        "Please send a smaller photo (phones usually offer a 'compressed' or 'medium' size)."
    )


def _check_pixels(size: tuple[int, int], limits: ImageLimits) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"That picture is {width}×{height} pixels ({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(limits.max_pixels)} megapixels. Please send a smaller version."
        )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f}" if pixels < 10_000_000 else f"{pixels / 1e6:.0f}"


def _decode(data: bytes, limits: ImageLimits) -> np.ndarray:
    # Pillow's own guard stays on: `Image.open` raises DecompressionBombError past twice
    # `Image.MAX_IMAGE_PIXELS` (~179 MP). Our budget, checked from the header, is stricter.
    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_pixels(image.size, limits)  # nothing decoded yet
            image.seek(0)  # animated GIF/WebP/PNG: the first frame
            image.load()
            return _to_rgb(ImageOps.exif_transpose(image))
    except InversionError:
        raise
    except Image.DecompressionBombError:
        raise ImageTooLarge(
            "That picture declares an enormous size and was refused for safety. Please send an ordinary photo."
        ) from None
    except UnidentifiedImageError:
        raise NotAnImage(
            "That file is not a picture I can read. Please send a photo (JPEG, PNG, WebP, HEIC, ...)."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DamagedImage(
            f"That picture seems damaged or incomplete and could not be opened ({exc}). "
            "Please send it again, ideally as the original file."
        ) from None


def _to_rgb(image: Image.Image) -> np.ndarray:
    """Any Pillow mode → RGB uint8 [H, W, 3]."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16/32-bit integer greyscale: Pillow's convert("RGB") would clip at 255 instead of scaling.
        grey = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
        grey = np.clip(np.rint(grey / peak * 255.0), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if image.mode == "F":
        grey = np.asarray(image, dtype=np.float64)
        scale = 255.0 if grey.max() <= 1.0 else 1.0
        grey = np.clip(np.rint(grey * scale), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """[H, W], [H, W, 1|3|4] arrays; uint8, uint16 (0..65535) or floats in [0, 1] → RGB uint8."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise NotAnImage(f"expected an image array [H, W] or [H, W, 1|3|4], got shape {list(array.shape)}")
    if array.dtype == np.uint8:
        x = array.astype(np.float64) / 255.0
    elif array.dtype == np.uint16:
        x = array.astype(np.float64) / 65535.0
    elif np.issubdtype(array.dtype, np.floating):
        x = np.nan_to_num(array.astype(np.float64), nan=0.0).clip(0.0, 1.0)
    else:
        raise NotAnImage(f"unsupported image array dtype {array.dtype}")
    if x.shape[2] == 4:  # composite on white, like files with transparency
        alpha = x[..., 3:]
        x = x[..., :3] * alpha + (1.0 - alpha)
    if x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    return np.ascontiguousarray(np.rint(x * 255.0).astype(np.uint8))
