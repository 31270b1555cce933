"""Face detection and FFHQ alignment on real photos, and the errors for pictures without a usable face."""

from __future__ import annotations

import io

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.errors import FaceTooSmall, InversionError, NoFaceFound
from engine.inversion import FaceDetector, FaceLandmarks, align_face, ffhq_quad
from engine.photos import AlignmentTransform

ASTRONAUT = skimage.data.astronaut()


def _angle_degrees(a, b) -> float:
    return float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))


def _bilinear(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sample an [H, W, 3] image at [K, 2] (x, y) pixel coordinates."""
    x, y = points[:, 0], points[:, 1]
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    img = image.astype(np.float64)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


@pytest.fixture(scope="module")
def aligned(detector):
    return align_face(ASTRONAUT, detector)


def test_astronaut_is_found_once(detector):
    faces = detector.detect(ASTRONAUT)
    assert len(faces) == 1
    face = faces[0]
    x0, y0, x1, y1 = face.box
    assert 150 < x0 < x1 < 300 and 50 < y0 < y1 < 200  # the face, not the flag or the suit
    assert face.eye_left[0] < face.eye_right[0] and face.mouth_left[1] > face.eye_left[1]


def test_aligned_crop_has_level_eyes_at_the_ffhq_distance(aligned, detector):
    crop = np.asarray(aligned.image)
    assert crop.shape == (256, 256, 3) and aligned.faces_found == 1 and aligned.notes == []
    again = detector.detect(crop)
    assert len(again) == 1
    face = again[0]
    assert abs(_angle_degrees(face.eye_left, face.eye_right)) < 2.0
    # eye-to-eye × 2.0 sets the half-width of the square here, so the eyes are 256 / 4 = 64 px apart.
    distance = np.hypot(*np.subtract(face.eye_right, face.eye_left))
    assert 60 < distance < 68
    # Centred: the eyes' midpoint sits on the vertical axis of the crop.
    assert abs((face.eye_left[0] + face.eye_right[0]) / 2 - 128) < 4


def test_transform_maps_the_crop_back_onto_the_photo(aligned):
    transform = aligned.transform
    assert isinstance(transform, AlignmentTransform) and transform.image_size == (512, 512)
    # Landmarks go to the canonical place and back.
    eyes = np.array([aligned.landmarks.eye_left, aligned.landmarks.eye_right])
    in_crop = transform.image_to_crop(eyes)
    assert abs(in_crop[0, 1] - in_crop[1, 1]) < 0.5 and abs(in_crop[1, 0] - in_crop[0, 0] - 64) < 0.5
    np.testing.assert_allclose(transform.crop_to_image(in_crop), eyes, atol=1e-9)
    # The crop's pixels are the photo's pixels where the transform says (the paste-back contract).
    grid = np.stack(np.meshgrid(np.arange(40, 216, 8), np.arange(40, 216, 8)), axis=-1).reshape(-1, 2)
    photo_points = transform.crop_to_image(grid)
    crop = np.asarray(aligned.image).astype(np.float64)
    expected = _bilinear(ASTRONAUT, photo_points)
    assert np.abs(crop[grid[:, 1], grid[:, 0]] - expected).mean() < 3.0


def test_ffhq_quad_geometry():
    face = FaceLandmarks(
        box=(0, 0, 100, 100), score=1.0, eye_left=(40.0, 50.0), eye_right=(60.0, 50.0),
        eye_left_outer=(35.0, 50.0), eye_right_outer=(65.0, 50.0), mouth_left=(42.0, 70.0), mouth_right=(58.0, 70.0),
    )
    quad = ffhq_quad(face)
    # Upright face: an axis-aligned square, half-size max(20·2.0, 20·1.8) = 40, centred 0.1 of the way to the mouth.
    np.testing.assert_allclose(quad, [[10, 12], [10, 92], [90, 92], [90, 12]])


class _FixedDetector:
    """A detector that reports given faces, to test the choice among several."""

    def __init__(self, faces: list[FaceLandmarks]) -> None:
        self.faces = faces

    def detect(self, image: np.ndarray) -> list[FaceLandmarks]:
        return self.faces


def _face_at(x: float, y: float, eye_gap: float, tilt_degrees: float = 0.0) -> FaceLandmarks:
    c, s = np.cos(np.radians(tilt_degrees)), np.sin(np.radians(tilt_degrees))

    def p(dx: float, dy: float) -> tuple[float, float]:
        return x + c * dx - s * dy, y + s * dx + c * dy

    g = eye_gap / 2
    return FaceLandmarks(
        box=(x - 2 * g, y - 2 * g, x + 2 * g, y + 3 * g), score=1.0, eye_left=p(-g, 0), eye_right=p(g, 0),
        eye_left_outer=p(-1.4 * g, 0), eye_right_outer=p(1.4 * g, 0), mouth_left=p(-0.8 * g, 1.1 * eye_gap),
        mouth_right=p(0.8 * g, 1.1 * eye_gap),
    )


def test_largest_of_several_faces_is_used_and_reported():
    small, large = _face_at(100, 100, 40), _face_at(440, 420, 60, tilt_degrees=20)
    detector = _FixedDetector([small, large])
    assert isinstance(detector, FaceDetector)
    result = align_face(ASTRONAUT, detector)
    assert result.landmarks == large and result.faces_found == 2
    assert result.notes == ["I found 2 faces and used the largest one."]
    # A tilted face near the border (padding path): its eyes still land level and centred
    # (pixel centres at integers, so the middle of a 256 px crop is 127.5).
    eyes = result.transform.image_to_crop(np.array([large.eye_left, large.eye_right]))
    assert abs(eyes[0, 1] - eyes[1, 1]) < 1e-6 and abs(eyes.mean(axis=0)[0] - 127.5) < 1e-6
    assert abs(result.transform.angle_degrees + 20) < 1e-6
    # Where the square leaves the photo, blurred reflection fills in: no black (unfilled) corner.
    corner = np.asarray(result.image)[-40:, -40:].astype(int)
    assert (corner.sum(axis=2) == 0).mean() < 0.01 and corner.std() > 1


def test_two_real_faces_pick_the_larger(detector):
    canvas = np.full((560, 900, 3), 200, dtype=np.uint8)
    canvas[:512, :512] = ASTRONAUT
    small = np.asarray(Image.fromarray(ASTRONAUT).resize((380, 380), Image.Resampling.LANCZOS))
    canvas[100:480, 520:900] = small
    result = align_face(canvas, detector)
    assert result.faces_found == 2
    assert result.landmarks.eye_left[0] < 512  # the full-size astronaut on the left


@pytest.mark.parametrize("name", ["chelsea", "camera", "blank"])
def test_pictures_without_a_human_face(detector, name):
    image = np.full((400, 400, 3), 255, dtype=np.uint8) if name == "blank" else getattr(skimage.data, name)()
    with pytest.raises(NoFaceFound, match="couldn't find a face") as info:
        align_face(image, detector)
    assert isinstance(info.value, InversionError)


def test_tiny_face_is_refused_with_advice(detector):
    small = np.asarray(Image.fromarray(ASTRONAUT).resize((256, 256), Image.Resampling.LANCZOS))
    assert len(detector.detect(small)) == 1  # found, but too small to use
    with pytest.raises(FaceTooSmall, match=r"too small.*closer photo"):
        align_face(small, detector)


def test_jpeg_bytes_are_aligned_like_the_array(aligned, detector):
    buf = io.BytesIO()
    Image.fromarray(ASTRONAUT).save(buf, format="JPEG", quality=95)
    from_bytes = align_face(buf.getvalue(), detector)
    np.testing.assert_allclose(from_bytes.transform.quad, aligned.transform.quad, atol=3.0)


def test_face_like_patterns_do_not_count_next_to_a_clear_face(detector):
    buf = io.BytesIO()
    Image.fromarray(ASTRONAUT).save(buf, format="JPEG", quality=75)
    photo = np.asarray(Image.open(buf).convert("RGB"))
    assert len(detector.detect(photo)) == 1
    saved = detector.confident_score
    detector.confident_score = float("inf")  # no detection counts as confident: the weak one shows up
    try:
        weak = [f for f in detector.detect(photo) if f.score < saved]
    finally:
        detector.confident_score = saved
    assert len(weak) == 1 and weak[0].box[1] > 300  # the helmet, below the face
