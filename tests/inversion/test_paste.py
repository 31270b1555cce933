"""Pasting an edited face back into the photo: through the alignment transform, inside the face mask only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.inversion import align_face
from engine.photos import FacePlacement, face_mask, paste_back

ASTRONAUT = skimage.data.astronaut()
RED = np.zeros((1024, 1024, 3), dtype=np.uint8)
RED[..., 0] = 255


@pytest.fixture(scope="module")
def aligned(detector):
    return align_face(ASTRONAUT, detector)


@pytest.fixture(scope="module")
def placement(aligned):
    return FacePlacement.of(aligned.transform, aligned.landmarks.outline)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b).sum(axis=2) > 0


@pytest.mark.parametrize("side", [256, 1024])
def test_pasting_the_unedited_crop_gives_the_photo_back(aligned, placement, side):
    crop = aligned.image.resize((side, side), Image.Resampling.LANCZOS)
    out = paste_back(ASTRONAUT, crop, placement)
    assert out.shape == ASTRONAUT.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(int) - ASTRONAUT)
    assert diff[300:].max() == 0  # far from the face: the photo's own pixels
    assert diff[80:170, 180:260].mean() < 3.0  # the face: resampled twice, nearly the same


def test_an_edit_lands_on_the_face_and_only_inside_its_outline(aligned, placement):
    out = paste_back(ASTRONAUT, RED, placement, match_colour=False)
    for point in (aligned.landmarks.eye_left, aligned.landmarks.eye_right, aligned.landmarks.mouth_left):
        x, y = np.round(point).astype(int)
        assert tuple(out[y, x]) == (255, 0, 0)
    # Inside the aligned square but outside the face (the crop's top corners: hair, background): untouched.
    side = aligned.transform.size
    for corner in ([0.08 * side, 0.08 * side], [0.92 * side, 0.08 * side]):
        x, y = np.round(aligned.transform.crop_to_image(np.array(corner))[0]).astype(int)
        assert np.array_equal(out[y, x], ASTRONAUT[y, x])
    # Every changed pixel lies near the face: within the box of the outline, widened by the feather.
    ys, xs = np.nonzero(changed(out, ASTRONAUT))
    outline = np.asarray(aligned.landmarks.outline)
    assert xs.min() > outline[:, 0].min() - 25 and xs.max() < outline[:, 0].max() + 25
    assert ys.max() < outline[:, 1].max() + 25


def test_without_an_outline_the_ffhq_face_oval_is_used(aligned):
    out = paste_back(ASTRONAUT, RED, aligned.transform, match_colour=False)
    x, y = np.round(aligned.landmarks.eye_left).astype(int)
    assert tuple(out[y, x]) == (255, 0, 0)
    assert np.array_equal(out[:20, :20], ASTRONAUT[:20, :20])


def test_the_seam_colour_is_matched(aligned, placement):
    tinted = np.clip(np.asarray(aligned.image).astype(int) + 30, 0, 255).astype(np.uint8)
    face = (slice(90, 160), slice(190, 250))
    plain = paste_back(ASTRONAUT, tinted, placement, match_colour=False)
    matched = paste_back(ASTRONAUT, tinted, placement)
    assert np.abs(plain[face].astype(int) - ASTRONAUT[face]).mean() > 20
    assert np.abs(matched[face].astype(int) - ASTRONAUT[face]).mean() < 6


def test_a_placement_survives_json_and_follows_a_resized_photo(aligned, placement):
    again = FacePlacement.from_dict(json.loads(json.dumps(placement.to_dict())))
    assert again == FacePlacement(again.transform, placement.outline)
    np.testing.assert_allclose(again.transform.quad, placement.transform.quad)

    big = np.asarray(Image.fromarray(ASTRONAUT).resize((1024, 1024), Image.Resampling.BICUBIC))
    out = paste_back(big, RED, again.resized((1024, 1024)), match_colour=False)
    for point in (aligned.landmarks.eye_left, aligned.landmarks.mouth_right):
        x, y = np.round(np.add(point, 0.5) * 2 - 0.5).astype(int)
        assert tuple(out[y, x]) == (255, 0, 0)
    assert np.array_equal(out[700:], big[700:])


def test_the_mask_is_feathered_and_empty_around_the_face(placement):
    mask = np.asarray(face_mask(placement))
    assert mask.max() == 255 and mask[0].max() == 0 and mask[:, 0].max() == 0
    assert ((mask > 0) & (mask < 255)).sum() > 0.05 * (mask > 0).sum()  # a soft edge, not a cut


def test_a_face_partly_outside_the_photo_is_pasted_where_it_shows(aligned, placement):
    half = np.ascontiguousarray(ASTRONAUT[:, 210:])  # cuts through the face
    moved = FacePlacement.from_dict(
        {
            "transform": {
                **aligned.transform.to_dict(),
                "quad": (aligned.transform.quad - [210, 0]).tolist(),
                "image_size": [half.shape[1], half.shape[0]],
            },
            "outline": [list(p) for p in placement.outline],
        }
    )
    out = paste_back(half, RED, moved, match_colour=False)
    assert out.shape == half.shape
    assert changed(out, half)[:, :40].any() and np.array_equal(out[300:], half[300:])


def test_the_photo_must_match_the_transform(aligned):
    with pytest.raises(ValueError, match="transform was made for"):
        paste_back(ASTRONAUT[:200], aligned.image, aligned.transform)
