"""The sender's photo outside the models: reading it safely, the stripped copy a session keeps, where the face
lies in it, and pasting an edited face back. numpy and Pillow only (no torch): thin bot processes paste too.
"""

from engine.photos.keep import KeptPhoto, decode_kept, keep_photo
from engine.photos.paste import FacePlacement, face_mask, paste_back
from engine.photos.reading import HEIF_SUPPORTED, ImageLimits, ImageSource, read_image
from engine.photos.transform import AlignmentTransform

__all__ = [
    "HEIF_SUPPORTED",
    "AlignmentTransform",
    "FacePlacement",
    "ImageLimits",
    "ImageSource",
    "KeptPhoto",
    "decode_kept",
    "face_mask",
    "keep_photo",
    "paste_back",
    "read_image",
]
