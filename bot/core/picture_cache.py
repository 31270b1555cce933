"""Pictures already drawn, kept in memory so a reply that shows a state again does not draw it again.

Undo, redo, reset, history and compare show states that were rendered a moment ago; drawing one costs
seconds on a CPU, finding it here microseconds. Entries are keyed by content (a hash of the latent, the
steps and whatever else went into the picture), never by session, so any path to the same state hits.
The cache is bounded by count and bytes and forgets the least recently used first; the session database
keeps the latents, so after a restart a state costs one render again. Each picture remembers who it was
drawn for, so "/forget" takes their pictures out of memory too.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from bot.core import pictures

MAX_PICTURES = 256
MAX_BYTES = 512 * 2**20


def picture_key(w_plus: np.ndarray, steps: Iterable[tuple[str, np.ndarray]], *extra: object) -> str:
    """A content key for the picture of a state: the latent, each step (kind and values) in order, and any
    other inputs of the picture (`extra`: render options, the generator's name, ...), each by value."""
    digest = hashlib.blake2b(digest_size=20)
    _add_array(digest, w_plus)
    for kind, array in steps:
        digest.update(b"step:" + str(kind).encode())
        _add_array(digest, array)
    for item in extra:
        if isinstance(item, np.ndarray):
            _add_array(digest, item)
        else:
            digest.update(b"extra:" + repr(item).encode())
    return digest.hexdigest()


def derived_key(kind: str, *parts: object) -> str:
    """A key for a picture made from others ("compare", "history"): their keys and any labels, by value."""
    return hashlib.blake2b(repr((kind, *parts)).encode(), digest_size=20).hexdigest()


def _add_array(digest, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data)


@dataclass
class Picture:
    """One drawn picture and its encodings, made on first use and kept with it."""

    image: np.ndarray | Image.Image
    key: str = ""  # its content key, for pictures made from it
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)

    def jpeg(self) -> bytes:
        return self._encode("jpeg", pictures.jpeg_bytes)

    def png(self) -> bytes:
        return self._encode("png", pictures.png_bytes)

    @property
    def nbytes(self) -> int:
        pixels = self.image.nbytes if isinstance(self.image, np.ndarray) else len(self.image.tobytes())
        return pixels + sum(len(b) for b in self._encoded.values())

    def _encode(self, name: str, encode: Callable[[np.ndarray | Image.Image], bytes]) -> bytes:
        if name not in self._encoded:
            self._encoded[name] = encode(self.image)
        return self._encoded[name]


class PictureCache:
    """Least-recently-used pictures by content key, at most `max_items` of them and `max_bytes` in all
    (pixels plus encodings). Thread-safe; a picture larger than the whole budget is not kept."""

    def __init__(self, max_items: int = MAX_PICTURES, max_bytes: int = MAX_BYTES) -> None:
        if max_items < 0 or max_bytes < 0:
            raise ValueError("cache limits cannot be negative")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Picture] = OrderedDict()
        self._owners: dict[str, set[Hashable]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(p.nbytes for p in self._entries.values())

    def get(self, key: str) -> Picture | None:
        with self._lock:
            picture = self._entries.get(key)
            if picture is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return picture

    def put(self, key: str, picture: Picture, owner: Hashable | None = None) -> Picture:
        """Keep `picture`, drawn for `owner` (encodings made later are counted at the next `put`)."""
        with self._lock:
            self._entries[key] = picture
            self._entries.move_to_end(key)
            if owner is not None:
                self._owners.setdefault(key, set()).add(owner)
            self._trim()
        return picture

    def forget(self, owner: Hashable) -> int:
        """Drop every picture drawn for `owner`; returns how many."""
        with self._lock:
            keys = [key for key, owners in self._owners.items() if owner in owners]
            for key in keys:
                self._entries.pop(key, None)
                del self._owners[key]
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._owners.clear()

    def _trim(self) -> None:
        total = sum(p.nbytes for p in self._entries.values())
        while self._entries and (len(self._entries) > self.max_items or total > self.max_bytes):
            key, dropped = self._entries.popitem(last=False)
            self._owners.pop(key, None)
            total -= dropped.nbytes
