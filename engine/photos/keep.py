"""The copy of a sender's photo that a session keeps, so every answer can be their photo with the face edited.

Kept small and clean: upright (EXIF orientation applied), the long side at most 2048 px, re-encoded as a
JPEG that carries no metadata at all (no EXIF, GPS, camera serials, comments or colour profiles). A JPEG
that is already that (Telegram sends photos this way) is kept byte for byte: re-encoding it would only
lose quality.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.photos.reading import ImageLimits, read_image

MAX_SIDE = 2048
QUALITY = 92
CONTENT_TYPE = "image/jpeg"
# JPEG segments that say nothing about the person or the camera: JFIF's header and Adobe's colour transform.
_HARMLESS_APP = ((0xFFE0, b"JFIF\x00"), (0xFFEE, b"Adobe"))
_HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "adobe",
    "adobe_transform",
    "progressive",
    "progression",
}


@dataclass(frozen=True)
class KeptPhoto:
    """The stored copy: JPEG bytes and the same picture decoded (what paste-back draws on)."""

    data: bytes
    pixels: np.ndarray  # uint8 [H, W, 3], exactly what `data` decodes to
    content_type: str = CONTENT_TYPE

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.pixels.shape[1], self.pixels.shape[0]


def keep_photo(
    data: bytes, *, max_side: int = MAX_SIDE, quality: int = QUALITY, limits: ImageLimits | None = None
) -> KeptPhoto:
    """The copy of `data` to keep: upright, long side ≤ `max_side`, JPEG without any metadata.

    Raises:
        InversionError: (a subclass) the photo cannot be read; the message is for the sender.
    """
    if _is_clean_small_jpeg(data, max_side):
        return KeptPhoto(bytes(data), decode_kept(data))
    rgb = read_image(data, limits)
    image = Image.fromarray(rgb)
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(round(image.size[0] * scale), 1), max(round(image.size[1] * scale), 1))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)  # Pillow writes no EXIF, ICC or comment unless asked to
    encoded = buf.getvalue()
    return KeptPhoto(encoded, decode_kept(encoded))


def decode_kept(data: bytes) -> np.ndarray:
    """A kept copy's pixels (it is upright and RGB already; nothing to apply)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def metadata_of(data: bytes) -> dict[str, object]:
    """What a picture file says besides its pixels (EXIF, comments, profiles, APP segments), for checks."""
    with Image.open(io.BytesIO(data)) as image:
        found: dict[str, object] = {k: v for k, v in image.info.items() if k not in _HARMLESS_INFO}
        if len(image.getexif()):
            found["exif_tags"] = sorted(image.getexif())
        for marker, payload in getattr(image, "applist", []):
            if not any(_marker_code(marker) == code and payload.startswith(tag) for code, tag in _HARMLESS_APP):
                found.setdefault("segments", []).append(marker)  # type: ignore[union-attr]
        return found


def _is_clean_small_jpeg(data: bytes, max_side: int) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG" or image.mode != "RGB" or max(image.size) > max_side:
                return False
    except Exception:  # not even a picture: read_image says why, in words for the sender
        return False
    return not metadata_of(data)


def _marker_code(marker: str) -> int:
    """Pillow names APP segments "APP0".."APP15"."""
    return 0xFFE0 + int(marker[3:]) if marker.startswith("APP") else -1
