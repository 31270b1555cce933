"""From a photo to a W+ latent: face detection, FFHQ alignment and the e4e encoder.

`invert(photo, load_encoder(path))` is the whole path; every problem with the photo itself raises
a subclass of `engine.errors.InversionError` whose message is written for the person who sent it.
Reading the photo, the copy a session keeps and pasting the edit back live in `engine.photos` (no torch).
"""

from engine.inversion.alignment import AlignedFace, align_face, ffhq_quad, warp_quad
from engine.inversion.checkpoint import (
    EncoderCheckpointError,
    encoder_from_checkpoint,
    encoder_from_state_dict,
    load_encoder,
)
from engine.inversion.detection import DetectorUnavailable, DlibDetector, FaceDetector, FaceLandmarks
from engine.inversion.encoder import Encoder4Editing, WPlusEncoder
from engine.inversion.invert import InversionResult, crop_to_tensor, invert

__all__ = [
    "AlignedFace",
    "DetectorUnavailable",
    "DlibDetector",
    "Encoder4Editing",
    "EncoderCheckpointError",
    "FaceDetector",
    "FaceLandmarks",
    "InversionResult",
    "WPlusEncoder",
    "align_face",
    "crop_to_tensor",
    "encoder_from_checkpoint",
    "encoder_from_state_dict",
    "ffhq_quad",
    "invert",
    "load_encoder",
    "warp_quad",
]
