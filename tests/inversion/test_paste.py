"""Pasting an edited face back into the photo through the alignment transform."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.inversion import align_face, paste_back

ASTRONAUT = skimage.data.astronaut()


@pytest.fixture(scope="module")
def aligned(detector):
    return align_face(ASTRONAUT, detector)


@pytest.mark.parametrize("side", [256, 1024])
def test_pasting_the_unedited_crop_gives_the_photo_back(aligned, side):
    crop = aligned.image.resize((side, side), Image.Resampling.LANCZOS)
    out = np.asarray(paste_back(ASTRONAUT, crop, aligned.transform)).astype(int)
    diff = np.abs(out - ASTRONAUT)
    assert diff[300:].max() == 0  # far from the face: untouched
    assert diff[80:170, 180:260].mean() < 3.0  # the face: resampled twice, nearly the same


def test_an_edit_lands_on_the_face(aligned):
    red = np.zeros((1024, 1024, 3), dtype=np.uint8)
    red[..., 0] = 255
    out = np.asarray(paste_back(ASTRONAUT, red, aligned.transform))
    for point in (aligned.landmarks.eye_left, aligned.landmarks.eye_right, aligned.landmarks.mouth_left):
        x, y = np.round(point).astype(int)
        assert tuple(out[y, x]) == (255, 0, 0)
    assert np.array_equal(out[:20, :20], ASTRONAUT[:20, :20])


def test_the_photo_must_match_the_transform(aligned):
    with pytest.raises(ValueError, match="transform was made for"):
        paste_back(ASTRONAUT[:200], aligned.image, aligned.transform)
