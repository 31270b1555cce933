"""From a photo to a W+ latent: face detection, FFHQ alignment and the e4e encoder.

`invert(photo, load_encoder(path))` is the whole path; every problem with the photo itself raises
a subclass of `InversionError` whose message is written for the person who sent it.
"""

from engine.inversion.alignment import AlignedFace, AlignmentTransform, align_face, ffhq_quad, warp_quad
from engine.inversion.checkpoint import (
    EncoderCheckpointError,
    encoder_from_checkpoint,
    encoder_from_state_dict,
    load_encoder,
)
from engine.inversion.detection import DetectorUnavailable, DlibDetector, FaceDetector, FaceLandmarks
from engine.inversion.encoder import Encoder4Editing, WPlusEncoder
from engine.inversion.errors import (
    DamagedImage,
    FaceTooSmall,
    ImageTooLarge,
    ImageTooSmall,
    InversionError,
    NoFaceFound,
    NotAnImage,
)
from engine.inversion.invert import InversionResult, crop_to_tensor, invert
from engine.inversion.keep import KeptPhoto, keep_photo
from engine.inversion.paste import FacePlacement, face_mask, paste_back
from engine.inversion.photo import ImageLimits, read_image

__all__ = [
    "AlignedFace",
    "AlignmentTransform",
    "DamagedImage",
    "DetectorUnavailable",
    "DlibDetector",
    "Encoder4Editing",
    "EncoderCheckpointError",
    "FaceDetector",
    "FaceLandmarks",
    "FacePlacement",
    "FaceTooSmall",
    "ImageLimits",
    "ImageTooLarge",
    "ImageTooSmall",
    "InversionError",
    "InversionResult",
    "KeptPhoto",
    "NoFaceFound",
    "NotAnImage",
    "WPlusEncoder",
    "align_face",
    "crop_to_tensor",
    "encoder_from_checkpoint",
    "encoder_from_state_dict",
    "face_mask",
    "ffhq_quad",
    "invert",
    "keep_photo",
    "load_encoder",
    "paste_back",
    "read_image",
    "warp_quad",
]
