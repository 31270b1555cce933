"""Rebuild a conformance state dict from its manifest (the fill rule of the conformance README).

Each tensor: numpy `default_rng(crc32(key))`, then `normal` (mean + std·N(0,1)), `uniform`
(low + (high − low)·U[0,1)), `const` or `explicit`, computed in float64 and cast to the listed dtype.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

DATA = Path(__file__).parent / "data"


def build_array(entry: dict) -> np.ndarray:
    shape = tuple(entry["shape"])
    rng = np.random.default_rng(zlib.crc32(entry["key"].encode("utf-8")))
    dist = entry["dist"]
    if dist == "normal":
        x = entry.get("mean", 0.0) + entry.get("std", 1.0) * rng.standard_normal(shape)
    elif dist == "uniform":
        low, high = entry.get("low", 0.0), entry.get("high", 1.0)
        x = low + (high - low) * rng.random(shape)
    elif dist == "const":
        x = np.full(shape, entry["value"])
    elif dist == "explicit":
        x = np.asarray(entry["values"]).reshape(shape)
    else:
        raise ValueError(f"unknown dist {dist!r} for {entry['key']}")
    return np.ascontiguousarray(x.astype(np.dtype(entry.get("dtype", "float32"))))


def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    """{key: tensor} for `tests/data/<name>.manifest.json`, in manifest order."""
    manifest = json.loads((DATA / f"{name}.manifest.json").read_text())
    return {entry["key"]: torch.from_numpy(build_array(entry)) for entry in manifest["tensors"]}


def load_vectors(name: str) -> dict[str, np.ndarray]:
    """The reference arrays of `tests/data/<name>.npz`."""
    with np.load(DATA / f"{name}.npz") as npz:
        return {k: npz[k] for k in npz.files}
