"""Putting an edited face back into the photo it came from: inverse alignment, soft face mask, seam colour.

StyleCLIP and e4e stop at the aligned 1024 px crop; a person expects their own photo back with only the
face changed. So the crop is warped back through the inverse of the FFHQ alignment transform and blended
in with a feathered mask that follows the face's outline (jaw and brows from the landmarks, the forehead
above them), after shifting its colour so the generator's rendering meets the photo's skin at the seam.
All of it runs on the face's bounding box only: the rest of the photo is copied, never resampled, so
pixels away from the face stay the photo's own, and a 12 MP photo costs little more than a small one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.photos.transform import AlignmentTransform

MASK_SIDE = 256  # the mask is drawn at this size in crop space, then warped with the face
FEATHER = 0.035  # Gaussian blur of the mask edge, as a fraction of the crop's side
FOREHEAD = 0.45  # the brows are raised by this fraction of the brow-to-chin height
MASK_STEP = 4  # the mask is warped on a 4× coarser grid of the photo, then enlarged
MAX_COLOUR_SHIFT = 40.0  # per channel, in 0..255: a larger seam difference is the photo's shadow, not a tint
# Where the FFHQ recipe puts a face in its crop (fractions of the side), for detectors without an outline.
DEFAULT_OVAL = (0.5, 0.54, 0.27, 0.36)  # centre x, centre y, radius x, radius y


@dataclass(frozen=True)
class FacePlacement:
    """Where a face's aligned crop lies in a photo, and the outline that the blend follows.

    `outline` holds points in crop coordinates as fractions of the side (0..1), so it fits a crop of any
    size; empty means the FFHQ face oval. `to_dict`/`from_dict` give plain numbers a database can keep.
    """

    transform: AlignmentTransform
    outline: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, transform: AlignmentTransform, outline: Sequence[tuple[float, float]] = ()) -> FacePlacement:
        """The placement of a detected face: its outline (photo coordinates, e.g. the landmarks' jaw and brows)
        carried into crop space."""
        if len(outline) < 3:
            return cls(transform)
        points = transform.image_to_crop(np.asarray(outline)) / transform.size
        return cls(transform, tuple((float(x), float(y)) for x, y in points))

    def resized(self, image_size: tuple[int, int]) -> FacePlacement:
        """The same face in a resized copy of the photo."""
        return FacePlacement(self.transform.resized(image_size), self.outline)

    def to_dict(self) -> dict:
        return {"transform": self.transform.to_dict(), "outline": [list(p) for p in self.outline]}

    @classmethod
    def from_dict(cls, data: dict) -> FacePlacement:
        outline = tuple((float(x), float(y)) for x, y in data.get("outline", ()))
        return cls(AlignmentTransform.from_dict(data["transform"]), outline)


def face_mask(placement: FacePlacement, side: int = MASK_SIDE, feather: float = FEATHER) -> Image.Image:
    """The blend mask in crop space ("L", `side` px): 255 on the face, feathered to 0 around it."""
    return _mask(placement.outline, side, feather).copy()


@functools.lru_cache(maxsize=64)
def _mask(outline: tuple[tuple[float, float], ...], side: int, feather: float) -> Image.Image:
    """Cached: a session pastes into the same photo at every step. Callers must not modify the image."""
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    polygon = _face_polygon(outline)
    if polygon is None:
        cx, cy, rx, ry = DEFAULT_OVAL
        draw.ellipse(((cx - rx) * side, (cy - ry) * side, (cx + rx) * side, (cy + ry) * side), fill=255)
    else:
        draw.polygon([(x * side, y * side) for x, y in polygon], fill=255)
    return mask.filter(ImageFilter.GaussianBlur(max(feather * side, 0.5)))


def paste_back(
    photo: Image.Image | np.ndarray,
    crop: Image.Image | np.ndarray,
    placement: FacePlacement | AlignmentTransform,
    *,
    match_colour: bool = True,
) -> np.ndarray:
    """Blend an (edited) aligned crop of any size back into the photo it came from.

    Args:
        photo: the photo, upright RGB (as `read_image` returns it), of the size the placement was made for.
        crop: the aligned face, e.g. the generator's 1024 px output; any square size.
        placement: the face's `FacePlacement` (or a bare transform: the FFHQ face oval is used).
        match_colour: shift the face's colour by the mean difference along the seam.

    Returns:
        A new uint8 array [H, W, 3]: the photo, with the face replaced. Pixels where the mask is 0 are the
        photo's own, bit for bit.
    """
    if isinstance(placement, AlignmentTransform):
        placement = FacePlacement(placement)
    transform = placement.transform
    base = np.asarray(photo.convert("RGB")) if isinstance(photo, Image.Image) else np.asarray(photo)
    if base.ndim != 3 or base.shape[2] != 3 or base.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 photo [H, W, 3], got {base.dtype} {list(base.shape)}")
    height, width = base.shape[:2]
    if (width, height) != transform.image_size:
        raise ValueError(f"photo is {(width, height)}, the transform was made for {transform.image_size}")
    crop_img = Image.fromarray(crop) if isinstance(crop, np.ndarray) else crop.convert("RGB")
    side = crop_img.size[0]
    if crop_img.size != (side, side):
        raise ValueError(f"expected a square crop, got {crop_img.size}")

    mask = _mask(placement.outline, MASK_SIDE, FEATHER)
    box = _photo_box(mask, transform, (width, height))
    out = base.copy()
    if box is None:  # the face lies entirely outside the photo
        return out
    x0, y0, x1, y1 = box
    # A face much smaller in the photo than the crop: shrink the crop first (a box reduce by an integer
    # factor, then Lanczos for the rest: antialiased and cheap), so the affine warp that follows resamples
    # at about 1:1, where bilinear is as good as bicubic and faster.
    target = round(transform.scale * transform.size)
    if target < side * 0.8:
        crop_img = crop_img.resize((max(target, 8),) * 2, Image.Resampling.LANCZOS, reducing_gap=1.0)
    face = _warp(crop_img, transform, box, Image.Resampling.BILINEAR)
    alpha = _warp(mask, transform, box, Image.Resampling.BILINEAR, step=MASK_STEP)
    region = Image.fromarray(base[y0:y1, x0:x1])
    if match_colour:
        face = _shift_colour(face, seam_colour_shift(*(_coarse(im) for im in (region, face, alpha))))
    # Pillow's blend: region + (face − region)·α/255, rounded; where α = 0 the photo's pixel exactly.
    out[y0:y1, x0:x1] = np.asarray(Image.composite(face, region, alpha))
    return out


def _coarse(image: Image.Image) -> np.ndarray:
    """Every 4th pixel each way: plenty for a mean along the seam, and 16 times less to read."""
    return np.asarray(image.resize((max(image.size[0] // 4, 1), max(image.size[1] // 4, 1)), Image.Resampling.NEAREST))


def _shift_colour(image: Image.Image, shift: np.ndarray) -> Image.Image:
    """Add a per-channel offset (rounded, clipped to 0..255) through a lookup table."""
    offsets = np.rint(shift).astype(int)
    if not offsets.any():
        return image
    table = [min(max(v + int(d), 0), 255) for d in offsets for v in range(256)]
    return image.point(table)


def seam_colour_shift(photo: np.ndarray, face: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The mean colour difference (photo − face) over the seam, where the mask fades (float [3]).

    The generator redraws skin a little lighter or warmer than the photo; adding this to the face makes
    the two meet without a visible edge. Clipped, so a shadow across the seam does not tint the face.
    """
    if alpha.ndim == 3:
        alpha = alpha[..., 0]
    seam = (alpha > 25) & (alpha < 153)  # α between 0.1 and 0.6 (of 255)
    if not seam.any():
        return np.zeros(3, np.float32)
    diff = photo[seam].astype(np.float32).mean(axis=0) - face[seam].astype(np.float32).mean(axis=0)
    return np.clip(diff, -MAX_COLOUR_SHIFT, MAX_COLOUR_SHIFT).astype(np.float32)


# ---------------------------------------------------------------------- geometry


def _face_polygon(outline: tuple[tuple[float, float], ...]) -> list[tuple[float, float]] | None:
    """The outline closed over the forehead: jaw as given, brows raised, as one convex polygon (crop fractions)."""
    if len(outline) < 3:
        return None
    points = np.asarray(outline, dtype=np.float64)
    if len(points) == 27:  # jaw 0..16 then the brows: raise the brows to cover the forehead
        jaw, brows = points[:17], points[17:]
        height = jaw[:, 1].max() - brows[:, 1].min()
        raised = brows - [0.0, FOREHEAD * height]
        points = np.concatenate([jaw, brows, raised])
    return [tuple(p) for p in _convex_hull(points)]


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain: the hull's vertices in order."""
    pts = sorted(map(tuple, points))

    def half(seq):
        hull: list[tuple[float, float]] = []
        for p in seq:
            while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) <= 0:
                hull.pop()
            hull.append(p)
        return hull

    lower, upper = half(pts), half(reversed(pts))
    return np.asarray(lower[:-1] + upper[:-1])


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _photo_box(mask: Image.Image, transform: AlignmentTransform, size: tuple[int, int]) -> tuple[int, ...] | None:
    """The photo's pixel box (x0, y0, x1, y1) that holds every non-zero mask pixel, clipped to the photo."""
    bbox = mask.getbbox()
    if bbox is None:
        return None
    k = transform.size / mask.size[0]  # mask px → transform crop px
    left, top, right, bottom = (v * k for v in bbox)
    corners = np.array([[left, top], [right, top], [left, bottom], [right, bottom]]) - 0.5
    photo = transform.crop_to_image(corners)
    x0, y0 = (max(math.floor(v) - 2, 0) for v in photo.min(axis=0))
    x1 = min(math.ceil(photo[:, 0].max()) + 3, size[0])
    y1 = min(math.ceil(photo[:, 1].max()) + 3, size[1])
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _warp(
    image: Image.Image, transform: AlignmentTransform, box: tuple[int, ...], resample, step: int = 1
) -> Image.Image:
    """Resample a crop-space image (any side) onto the photo's pixels inside `box`.

    With `step` > 1 the warp runs on a grid `step` times coarser and is then enlarged (for smooth
    pictures such as the mask, where that is indistinguishable and much faster).
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    small = (max(-(-width // step), 1), max(-(-height // step), 1))
    a, t = _photo_to_crop(transform, image.size[0])
    t = t + a @ np.array([x0, y0], dtype=np.float64)  # output (0, 0) is the corner of photo pixel (x0, y0)
    a = a * [width / small[0], height / small[1]]  # one output pixel spans this many photo pixels
    data = (a[0, 0], a[0, 1], t[0], a[1, 0], a[1, 1], t[1])
    warped = image.transform(small, Image.Transform.AFFINE, data, resample)
    if small != (width, height):
        warped = warped.resize((width, height), Image.Resampling.BILINEAR)
    return warped


def _photo_to_crop(transform: AlignmentTransform, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine map photo → crop of `side` px in continuous coordinates (pixel centres at +0.5, Pillow's
    convention), as (2×2 matrix, offset); the transform's own matrices use pixel indices at `transform.size` px.
    """
    m = transform.image_to_crop_matrix()
    a, b = m[:, :2], m[:, 2]
    k = side / transform.size
    return k * a, k * (b - a @ np.array([0.5, 0.5]) + 0.5)
