"""FFHQ-style face alignment: eyes and mouth → an oriented square crop, 256 px for the encoder.

The recipe of the FFHQ dataset script (NVlabs/ffhq-dataset `recreate_aligned_images`) as e4e uses
it in `utils/alignment.py` `align_face`: the crop is a rotated square from the eye-to-eye and
eye-to-mouth vectors (×2.0 / ×1.8), the image is shrunk first when the crop is much larger than the
output, padded by reflection with blur and median blending where the square leaves the picture, and
resampled with Pillow's QUAD transform. `AlignmentTransform` keeps the square in the original
photo's coordinates, so an edited crop can be pasted back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from engine.errors import FaceTooSmall, NoFaceFound
from engine.inversion.detection import FaceDetector, FaceLandmarks, default_detector
from engine.photos.reading import ImageLimits, ImageSource, read_image
from engine.photos.transform import AlignmentTransform

OUTPUT_SIZE = 256          # e4e's encoder input (the FFHQ dataset itself uses 1024)
MIN_EYE_DISTANCE = 40.0    # px between the outer eye corners; the crop is then ≥ ~110 px, upsampled ≤ ~2.3×


@dataclass(frozen=True)
class AlignedFace:
    """An aligned crop with what produced it. Unpacks as `(image, transform)`."""

    image: Image.Image            # RGB, size × size
    transform: AlignmentTransform
    landmarks: FaceLandmarks      # of the face used, in photo coordinates
    faces_found: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, detect, warp

    def __iter__(self):
        return iter((self.image, self.transform))

    @property
    def notes(self) -> list[str]:
        """Remarks worth telling the sender."""
        if self.faces_found > 1:
            return [f"I found {self.faces_found} faces and used the largest one."]
        return []


def ffhq_quad(landmarks: FaceLandmarks) -> np.ndarray:
    """The oriented crop square [4, 2] (top-left, bottom-left, bottom-right, top-right) of the FFHQ recipe."""
    eye_left = np.asarray(landmarks.eye_left, dtype=np.float64)
    eye_right = np.asarray(landmarks.eye_right, dtype=np.float64)
    eye_avg = (eye_left + eye_right) * 0.5
    eye_to_eye = eye_right - eye_left
    mouth_avg = (np.asarray(landmarks.mouth_left, dtype=np.float64) + np.asarray(landmarks.mouth_right)) * 0.5
    eye_to_mouth = mouth_avg - eye_avg

    x = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
    x /= np.hypot(*x)
    x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.flipud(x) * [-1, 1]
    c = eye_avg + eye_to_mouth * 0.1
    return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])


def align_face(
    image: ImageSource,
    detector: FaceDetector | None = None,
    output_size: int = OUTPUT_SIZE,
    min_eye_distance: float = MIN_EYE_DISTANCE,
    limits: ImageLimits | None = None,
) -> AlignedFace:
    """Detect the largest face in a photo and return its FFHQ-aligned crop and transform.

    Args:
        image: bytes, a path, a PIL image or an RGB array (see `read_image`).
        detector: any `FaceDetector`; by default dlib's, as e4e.
        output_size: side of the crop (256 for the e4e encoder).
        min_eye_distance: smaller faces (px between the outer eye corners) are refused.
        limits: file and pixel limits for reading the photo.

    Raises:
        NotAnImage, DamagedImage, ImageTooLarge: the photo could not be read.
        NoFaceFound: no face detected.
        FaceTooSmall: the largest face is below `min_eye_distance`.
    """
    detector = detector or default_detector()
    start = time.perf_counter()
    rgb = read_image(image, limits)
    read_done = time.perf_counter()
    faces = detector.detect(rgb)
    detect_done = time.perf_counter()
    if not faces:
        raise NoFaceFound(
            "I couldn't find a face in that picture. Please send a photo where one person's face is "
            "clearly visible, facing the camera, in good light."
        )
    face = max(faces, key=lambda f: (f.box_area, f.score))
    distance = face.outer_eye_distance
    if distance < min_eye_distance:
        raise FaceTooSmall(
            f"The face is too small in this picture (about {distance:.0f} px between the eyes; I need at "
            f"least {min_eye_distance:.0f}). Please send a closer photo, or crop it around the face "
            "without shrinking it."
        )
    quad = ffhq_quad(face)
    crop = warp_quad(rgb, quad, output_size)
    transform = AlignmentTransform(quad=quad, size=output_size, image_size=(rgb.shape[1], rgb.shape[0]))
    timings = {"read": read_done - start, "detect": detect_done - read_done, "warp": time.perf_counter() - detect_done}
    return AlignedFace(image=crop, transform=transform, landmarks=face, faces_found=len(faces), timings=timings)


def warp_quad(rgb: np.ndarray, quad: np.ndarray, output_size: int = OUTPUT_SIZE) -> Image.Image:
    """Resample the square `quad` of an RGB uint8 photo to `output_size` px: shrink, crop, pad, transform."""
    img = Image.fromarray(rgb)
    quad = np.array(quad, dtype=np.float64)
    qsize = np.hypot(*(quad[3] - quad[0]))

    # Shrink: a much larger square is first reduced with a proper low-pass filter.
    shrink = int(np.floor(qsize / output_size * 0.5))
    if shrink > 1:
        rsize = (int(np.rint(float(img.size[0]) / shrink)), int(np.rint(float(img.size[1]) / shrink)))
        img = img.resize(rsize, Image.Resampling.LANCZOS)
        quad /= shrink
        qsize /= shrink

    # Crop to the square plus a border.
    border = max(int(np.rint(qsize * 0.1)), 3)
    crop = (
        int(np.floor(min(quad[:, 0]))),
        int(np.floor(min(quad[:, 1]))),
        int(np.ceil(max(quad[:, 0]))),
        int(np.ceil(max(quad[:, 1]))),
    )
    crop = (
        max(crop[0] - border, 0),
        max(crop[1] - border, 0),
        min(crop[2] + border, img.size[0]),
        min(crop[3] + border, img.size[1]),
    )
    if crop[2] - crop[0] < img.size[0] or crop[3] - crop[1] < img.size[1]:
        img = img.crop(crop)
        quad -= crop[0:2]

    # Pad where the square leaves the picture: reflect, then blur and fade to the median colour.
    pad = (
        int(np.floor(min(quad[:, 0]))),
        int(np.floor(min(quad[:, 1]))),
        int(np.ceil(max(quad[:, 0]))),
        int(np.ceil(max(quad[:, 1]))),
    )
    pad = (
        max(-pad[0] + border, 0),
        max(-pad[1] + border, 0),
        max(pad[2] - img.size[0] + border, 0),
        max(pad[3] - img.size[1] + border, 0),
    )
    if max(pad) > border - 4:
        pad = np.maximum(pad, int(np.rint(qsize * 0.3)))
        arr = np.pad(np.float32(img), ((pad[1], pad[3]), (pad[0], pad[2]), (0, 0)), "reflect")
        h, w, _ = arr.shape
        yy, xx, _ = np.ogrid[:h, :w, :1]
        mask = np.maximum(
            1.0 - np.minimum(np.float32(xx) / pad[0], np.float32(w - 1 - xx) / pad[2]),
            1.0 - np.minimum(np.float32(yy) / pad[1], np.float32(h - 1 - yy) / pad[3]),
        )
        blur = qsize * 0.02
        arr += (gaussian_filter(arr, [blur, blur, 0]) - arr) * np.clip(mask * 3.0 + 1.0, 0.0, 1.0)
        arr += (np.median(arr, axis=(0, 1)) - arr) * np.clip(mask, 0.0, 1.0)
        img = Image.fromarray(np.uint8(np.clip(np.rint(arr), 0, 255)), "RGB")
        quad += pad[:2]

    return img.transform(
        (output_size, output_size), Image.Transform.QUAD, tuple((quad + 0.5).flatten()), Image.Resampling.BILINEAR
    )
