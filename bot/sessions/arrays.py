"""Arrays as the database holds them: raw little-endian bytes with shape and dtype, no tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.sessions.errors import InvalidEdit

ALLOWED_DTYPES = ("float16", "float32", "float64")


@dataclass(frozen=True)
class StoredArray:
    """A float array as bytes; `to_numpy()` gives it back. Bytes are always little-endian."""

    data: bytes
    shape: tuple[int, ...]
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.dtype not in ALLOWED_DTYPES:
            raise InvalidEdit(f"Unsupported array dtype {self.dtype!r}; expected one of {', '.join(ALLOWED_DTYPES)}.")
        if any(not isinstance(n, int) or n < 0 for n in self.shape):
            raise InvalidEdit(f"Invalid array shape {self.shape!r}.")
        expected = math.prod(self.shape) * np.dtype(self.dtype).itemsize
        if len(self.data) != expected:
            raise InvalidEdit(
                f"Array data has {len(self.data)} bytes but shape {self.shape} of {self.dtype} needs {expected}."
            )

    @classmethod
    def from_numpy(cls, array: np.ndarray) -> StoredArray:
        array = np.asarray(array)
        name = array.dtype.name
        if name not in ALLOWED_DTYPES:
            raise InvalidEdit(f"Unsupported array dtype {name!r}; expected one of {', '.join(ALLOWED_DTYPES)}.")
        if not np.isfinite(array).all():
            raise InvalidEdit("The array holds NaN or infinite values.")
        little = np.ascontiguousarray(array, dtype=np.dtype(name).newbyteorder("<"))
        return cls(little.tobytes(), tuple(int(n) for n in array.shape), name)

    @classmethod
    def coerce(cls, value: StoredArray | np.ndarray) -> StoredArray:
        return value if isinstance(value, StoredArray) else cls.from_numpy(value)

    @property
    def nbytes(self) -> int:
        return len(self.data)

    def to_numpy(self) -> np.ndarray:
        """A fresh, writable array in native byte order."""
        little = np.frombuffer(self.data, dtype=np.dtype(self.dtype).newbyteorder("<")).reshape(self.shape)
        return little.astype(np.dtype(self.dtype), copy=True)


def encode_shape(shape: tuple[int, ...]) -> str:
    return ",".join(str(n) for n in shape)


def decode_shape(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",")) if text else ()
