"""Rebuild conformance state dicts from their manifests (fill rules in the conformance README)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

DATA = Path(__file__).parent / "data"


def build_array(entry: dict) -> np.ndarray:
    """One tensor: numpy's default_rng seeded with the CRC-32 of its key, filled by the entry's rule."""
    shape = tuple(entry["shape"])
    rng = np.random.default_rng(zlib.crc32(entry["key"].encode("utf-8")))
    rule = entry["dist"]
    if rule == "normal":
        x = entry.get("mean", 0.0) + entry.get("std", 1.0) * rng.standard_normal(shape)
    elif rule == "uniform":
        low, high = entry.get("low", 0.0), entry.get("high", 1.0)
        x = low + (high - low) * rng.random(shape)
    elif rule == "const":
        x = np.full(shape, entry["value"])
    elif rule == "explicit":
        x = np.asarray(entry["values"]).reshape(shape)
    else:
        raise ValueError(f"unknown fill rule {rule!r} for {entry['key']}")
    return np.ascontiguousarray(x.astype(entry.get("dtype", "float32")))


def state_dict_from_manifest(name: str) -> dict[str, torch.Tensor]:
    """{key: tensor} for every entry of tests/data/<name>.manifest.json, in manifest order."""
    manifest = json.loads((DATA / f"{name}.manifest.json").read_text())
    return {entry["key"]: torch.from_numpy(build_array(entry)) for entry in manifest["tensors"]}


def vectors(name: str) -> dict[str, np.ndarray]:
    """The arrays of tests/data/<name>.npz."""
    with np.load(DATA / f"{name}.npz") as data:
        return {key: data[key] for key in data.files}
