"""The person's own photo around the edited face: what a session keeps of it, and each answer drawn into it.

The engine draws faces as aligned square crops; people sent a photo. A session keeps a stripped copy of
that photo, where its face lies, and an identity reference; every picture the bot answers with is the kept
photo with the current face pasted back (engine.photos.paste). Sessions without a kept photo (made
before photos were kept) are answered with the crop, as before.

Identity watch: with ArcFace installed, the first answer says when the encoder's reconstruction is far
from the face in the photo, and an edit that moves the face too far from that reconstruction says it
changed who the picture looks like.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from bot.core.picture_cache import Picture as CachedPicture
from bot.sessions import SessionPhoto
from engine.photos import FacePlacement, decode_kept, paste_back
from engine.values import Inverted

# Cosine similarity of ArcFace embeddings (1 = the same picture). Reconstructions by e4e of the same person
# land around 0.5-0.7 (e4e's paper reports ~0.5 on CelebA-HQ); unrelated faces around 0-0.2.
RECONSTRUCTION_FLOOR = 0.35  # below: tell the sender the starting face is already a loose likeness
EDIT_FLOOR = 0.55            # below (edited vs. reconstruction): the edit changed who it looks like


@dataclass(frozen=True)
class PhotoFrame:
    """A kept photo, decoded, with what paste-back needs."""

    pixels: np.ndarray  # uint8 [H, W, 3]
    placement: FacePlacement

    def around(self, face: np.ndarray) -> np.ndarray:
        """The photo with `face` (an aligned crop, any size) blended in where the photo's face was."""
        return paste_back(self.pixels, face, self.placement)


def to_record(inverted: Inverted, identity: np.ndarray | None) -> SessionPhoto | None:
    """What the store keeps of a freshly inverted photo (None when the engine kept no copy)."""
    if inverted.photo is None or inverted.placement is None:
        return None
    width, height = inverted.photo.size
    return SessionPhoto(
        data=inverted.photo.data,
        width=width,
        height=height,
        placement=json.dumps(inverted.placement.to_dict()),
        faces=inverted.faces,
        identity=None if identity is None else encode_identity(identity),
        content_type=inverted.photo.content_type,
    )


def from_record(record: SessionPhoto) -> PhotoFrame:
    """A stored photo, decoded."""
    placement = FacePlacement.from_dict(json.loads(record.placement))
    pixels = decode_kept(record.data)
    if (pixels.shape[1], pixels.shape[0]) != placement.transform.image_size:
        raise ValueError(f"the kept photo is {pixels.shape[1]}×{pixels.shape[0]}, its placement is for "
                         f"{placement.transform.image_size}")
    return PhotoFrame(pixels, placement)


def identity_of(record: SessionPhoto) -> np.ndarray | None:
    """The session's identity reference (None without ArcFace)."""
    return None if record.identity is None else decode_identity(record.identity)


def record_key(record: SessionPhoto) -> str:
    """A content key for a kept photo and its placement: pictures pasted into it are cached under it."""
    digest = hashlib.blake2b(record.data, digest_size=20)
    digest.update(record.placement.encode())
    return digest.hexdigest()


def encode_identity(embedding: np.ndarray) -> bytes:
    """An embedding as stored: float16, little-endian (1 kB for 512 values; cosine error < 1e-3)."""
    return np.asarray(embedding, dtype="<f2").tobytes()


def decode_identity(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings."""
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


@dataclass(frozen=True)
class Picture:
    """One answer's picture: what the person sees (their photo with the face, or the crop) and the crop."""

    shown: CachedPicture                  # uint8 [H, W, 3] with its encodings
    face: CachedPicture                   # the aligned crop the engine drew, uint8 [S, S, 3]
    reference: np.ndarray | None = None   # the session's identity reference, for the identity watch
    face_file: bool = False               # also attach the crop as a file of its own (the local chat)

    @property
    def in_photo(self) -> bool:
        return self.shown is not self.face
