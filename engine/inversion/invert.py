"""`invert`: a sender's photo → the W+ latent the editing methods start from."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from torch import nn

from engine.inversion.alignment import MIN_EYE_DISTANCE, OUTPUT_SIZE, align_face
from engine.inversion.detection import FaceDetector, FaceLandmarks
from engine.photos.reading import ImageLimits, ImageSource
from engine.photos.transform import AlignmentTransform


@dataclass(frozen=True)
class InversionResult:
    """What `invert` found: the latent, the crop it encodes, and where that crop lies in the photo."""

    w_plus: torch.Tensor           # [num_ws, 512] float32 on the CPU (18 × 512 for a 1024 px generator)
    aligned: Image.Image           # the 256 px FFHQ-aligned crop given to the encoder
    transform: AlignmentTransform  # to paste an edited face back into the photo
    landmarks: FaceLandmarks       # of the face used, in photo coordinates
    faces_found: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, detect, warp, encode, total

    @property
    def notes(self) -> list[str]:
        """Remarks worth telling the sender (e.g. which face was used)."""
        if self.faces_found > 1:
            return [f"I found {self.faces_found} faces and used the largest one."]
        return []


def crop_to_tensor(image: Image.Image) -> torch.Tensor:
    """An RGB crop → [1, 3, H, W] in [-1, 1] (e4e's ToTensor + Normalize(mean = std = 0.5))."""
    x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32).copy())
    return (x.permute(2, 0, 1).unsqueeze(0) / 255.0 - 0.5) / 0.5


@torch.no_grad()
def invert(
    image: ImageSource,
    encoder: nn.Module,
    detector: FaceDetector | None = None,
    limits: ImageLimits | None = None,
    min_eye_distance: float = MIN_EYE_DISTANCE,
) -> InversionResult:
    """Detect, align and encode the largest face of a photo (Tov et al. 2021, e4e).

    Args:
        image: bytes, a path, a PIL image or an RGB array.
        encoder: e.g. `load_encoder(path)`: [N, 3, 256, 256] in [-1, 1] → W+ [N, num_ws, 512].
        detector: any `FaceDetector`; by default dlib's, as e4e.
        limits: file and pixel limits for reading the photo.
        min_eye_distance: smaller faces (px between the outer eye corners) are refused.

    Raises:
        InversionError: a subclass saying what is wrong with the photo, in words for the sender.
    """
    start = time.perf_counter()
    face = align_face(image, detector, OUTPUT_SIZE, min_eye_distance, limits)
    encode_start = time.perf_counter()
    reference = next(iter(encoder.parameters()), None)
    device = reference.device if reference is not None else torch.device("cpu")
    w_plus = encoder(crop_to_tensor(face.image).to(device))
    if w_plus.ndim != 3 or w_plus.shape[0] != 1:
        raise ValueError(f"the encoder returned shape {list(w_plus.shape)}, expected [1, num_ws, w_dim]")
    end = time.perf_counter()
    timings = {**face.timings, "encode": end - encode_start, "total": end - start}
    return InversionResult(
        w_plus=w_plus[0].float().cpu(),
        aligned=face.image,
        transform=face.transform,
        landmarks=face.landmarks,
        faces_found=face.faces_found,
        timings=timings,
    )
