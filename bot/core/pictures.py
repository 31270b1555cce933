"""Pictures the core sends: encoded results, the history strip and the before/after comparison (Pillow)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

THUMB = 128          # history thumbnails, px
PER_ROW = 8          # history thumbnails per row
LABEL_HEIGHT = 30    # two short lines of the default font under each picture
MAX_LABEL_CHARS = 22
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)


def png_bytes(image: np.ndarray | Image.Image, compress_level: int = 1) -> bytes:
    """Lossless PNG. Level 1, not Pillow's 6: a 1024 px picture encodes ~3x faster for ~13 % more bytes
    (2.1 s vs 7.3 s, 1.37 vs 1.21 MB on the busy 2-core test machine), and every picture reply pays it."""
    buf = io.BytesIO()
    _pil(image).save(buf, "PNG", compress_level=compress_level)
    return buf.getvalue()


def jpeg_bytes(image: np.ndarray | Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    _pil(image).convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def history_strip(frames: Sequence[tuple[np.ndarray, str]], thumb: int = THUMB, per_row: int = PER_ROW) -> Image.Image:
    """Thumbnails of the steps, each with its words underneath (the photo first, then one per active edit).

    One row up to `per_row` pictures, then more rows, so a long history stays within the platforms' aspect
    limits (Telegram refuses photos more than 20 times wider than high).

    Args:
        frames: (uint8 [H, W, 3] image, label) in order.
    """
    if not frames:
        raise ValueError("a history strip needs at least one picture")
    gap = 6
    columns = min(len(frames), per_row)
    rows = -(-len(frames) // per_row)
    cell_w, cell_h = thumb + gap, thumb + LABEL_HEIGHT + gap
    strip = Image.new("RGB", (columns * cell_w + gap, rows * cell_h + gap), BACKGROUND)
    for i, (image, label) in enumerate(frames):
        x, y = gap + (i % per_row) * cell_w, gap + (i // per_row) * cell_h
        strip.paste(_pil(image).convert("RGB").resize((thumb, thumb), Image.Resampling.LANCZOS), (x, y))
        _label(strip, label, x, y + thumb + 2, thumb)
    return strip


def side_by_side(before: np.ndarray, after: np.ndarray, labels: tuple[str, str] = ("before", "after")) -> Image.Image:
    """Two pictures of the same size next to each other, labelled."""
    left, right = _pil(before).convert("RGB"), _pil(after).convert("RGB")
    if right.size != left.size:
        right = right.resize(left.size, Image.Resampling.LANCZOS)
    w, h = left.size
    gap = 6
    canvas = Image.new("RGB", (2 * w + 3 * gap, h + LABEL_HEIGHT + 2 * gap), BACKGROUND)
    canvas.paste(left, (gap, gap))
    canvas.paste(right, (w + 2 * gap, gap))
    _label(canvas, labels[0], gap, gap + h + 2, w)
    _label(canvas, labels[1], w + 2 * gap, gap + h + 2, w)
    return canvas


def _label(canvas: Image.Image, text: str, x: int, y: int, width: int) -> None:
    """Up to two centred lines of the default font; longer words are cut with an ellipsis."""
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for row, line in enumerate(_wrap(text, MAX_LABEL_CHARS)[:2]):
        if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow's bitmap fallback font knows Latin-1 only
            line = line.encode("latin-1", "replace").decode("latin-1")
        left, _, right, _ = draw.textbbox((0, 0), line, font=font)
        draw.text((x + max((width - (right - left)) // 2, 0), y + 13 * row), line, fill=INK, font=font)


def _wrap(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word if len(word) <= limit else word[: limit - 3] + "..."
    if current:
        lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: limit - 3] + "..."]
    return lines or [""]


def _pil(image: np.ndarray | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected a uint8 [H, W, 3] image, got {array.dtype} {array.shape}")
    return Image.fromarray(array)
