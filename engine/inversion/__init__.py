"""From a photo to a W+ latent: face detection, FFHQ alignment and the e4e encoder."""

from engine.inversion.checkpoint import (
    EncoderCheckpointError,
    encoder_from_checkpoint,
    encoder_from_state_dict,
    load_encoder,
)
from engine.inversion.encoder import Encoder4Editing, WPlusEncoder

__all__ = [
    "Encoder4Editing",
    "EncoderCheckpointError",
    "WPlusEncoder",
    "encoder_from_checkpoint",
    "encoder_from_state_dict",
    "load_encoder",
]
