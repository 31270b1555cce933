"""Putting an edited face back into the original photo, through the alignment transform."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from engine.inversion.alignment import AlignmentTransform


def paste_back(
    photo: Image.Image | np.ndarray,
    crop: Image.Image | np.ndarray,
    transform: AlignmentTransform,
    feather: float = 0.08,
) -> Image.Image:
    """Warp an (edited) aligned crop of any size back into the photo it came from.

    Args:
        photo: the original photo, upright RGB (as `read_image` returns it).
        crop: the aligned face, e.g. the generator's 1024 px output; any square size.
        transform: the `AlignmentTransform` of the crop.
        feather: width of the soft blend at the crop's border, as a fraction of its side.

    Returns:
        The photo with the face replaced (RGB, the photo's size).
    """
    photo_img = Image.fromarray(photo) if isinstance(photo, np.ndarray) else photo.convert("RGB")
    crop_img = Image.fromarray(crop) if isinstance(crop, np.ndarray) else crop.convert("RGB")
    if photo_img.size != transform.image_size:
        raise ValueError(f"photo is {photo_img.size}, the transform was made for {transform.image_size}")
    side = crop_img.size[0]
    if crop_img.size != (side, side):
        raise ValueError(f"expected a square crop, got {crop_img.size}")
    data = _pil_affine(transform, side)
    warped = crop_img.transform(photo_img.size, Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
    # A mask that fades out toward the crop's border, warped the same way.
    border = max(round(side * feather), 1)
    mask = Image.new("L", (side, side), 0)
    mask.paste(255, (border, border, side - border, side - border))
    mask = mask.filter(ImageFilter.GaussianBlur(border / 2))
    mask = mask.transform(photo_img.size, Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
    return Image.composite(warped, photo_img, mask)


def _pil_affine(transform: AlignmentTransform, side: int) -> tuple[float, ...]:
    """Pillow's AFFINE data for a crop of `side` px: photo → crop, in continuous coordinates.

    Continuous coordinates put pixel centres at +0.5 (Pillow's convention); the transform's
    matrices use pixel indices, at `transform.size` px.
    """
    m = transform.image_to_crop_matrix()
    a, b = m[:, :2], m[:, 2]
    k = side / transform.size
    a_cont = k * a
    t_cont = k * (b - a @ np.array([0.5, 0.5]) + 0.5)
    return (a_cont[0, 0], a_cont[0, 1], t_cont[0], a_cont[1, 0], a_cont[1, 1], t_cont[1])
