"""StyleCLIP's global directions (Patashnik et al. 2021, §6): a text direction Δt in CLIP space turned
into one StyleSpace direction Δs through a precomputed channel-relevance table `fs3`.

Follows StyleCLIP's `global_torch/StyleCLIP.py` `GetBoundary` / `SplitS` and `manipulate.py` `MSCode`:
r = fs3 · Δt; channels with |r| < β are zeroed; r /= max|r|; per manipulated layer Δs = r × std of
that layer's style channels; ToRGB layers get zeros; edit s' = s + α·Δs.

One deliberate difference: when β leaves no channel the reference divides 0 by 0 and edits every
image into NaN. Here that case is "no direction": `None`, so the router can fall back.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

import numpy as np
import torch

DEFAULT_ALPHA = 4.1   # StyleCLIP's demo strength
DEFAULT_BETA = 0.15   # StyleCLIP's demo disentanglement threshold


class DirectionFileError(ValueError):
    """An fs3 table or StyleSpace statistics file that cannot be used."""


def standard_torgb_pattern(num_layers: int) -> list[bool]:
    """Which StyleSpace layers are ToRGB in StyleGAN2's order (conv, toRGB, then conv, conv, toRGB per
    resolution): layer i is ToRGB when i % 3 == 1 (StyleCLIP's hard-coded `mindexs` are the others)."""
    return [i % 3 == 1 for i in range(num_layers)]


def relevance(fs3: torch.Tensor, dt: torch.Tensor, beta: float) -> tuple[torch.Tensor, int]:
    """Per manipulated channel relevance r = fs3 · Δt with |r| < β zeroed, and how many channels remain.

    Returns:
        (r [num_channels], count); r is not yet divided by max |r|.
    """
    fs3, dt = _as_tensor(fs3), _as_tensor(dt).to(_as_tensor(fs3).device)
    if fs3.ndim != 2 or dt.shape != (fs3.shape[1],):
        raise ValueError(f"fs3 must be [channels, D] and dt [D]; got {list(fs3.shape)} and {list(dt.shape)}")
    r = fs3 @ dt
    keep = ~(r.abs() < beta)
    return torch.where(keep, r, torch.zeros_like(r)), int(keep.sum())


def channel_count(fs3: torch.Tensor, dt: torch.Tensor, beta: float) -> int:
    """How many StyleSpace channels a direction moves at threshold β."""
    return relevance(fs3, dt, beta)[1]


def global_direction(
    fs3: torch.Tensor | np.ndarray,
    style_std: Sequence[torch.Tensor | np.ndarray],
    dt: torch.Tensor | np.ndarray,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    is_torgb: Sequence[bool] | None = None,
) -> list[torch.Tensor] | None:
    """Per-layer StyleSpace offsets α·Δs for the text direction Δt, or None when no channel passes β.

    Args:
        fs3: relevance table [manipulated channels, D]: one row per non-ToRGB style channel, layers in
            synthesis order.
        style_std: per StyleSpace layer (ToRGB layers included), the std of its style channels [C].
        dt: text direction [D] (`text_direction`).
        alpha: strength; the offsets are linear in it (α = 0 changes nothing).
        beta: disentanglement threshold: channels with |fs3 · Δt| < β are left alone.
        is_torgb: per layer, whether it is a ToRGB layer; StyleGAN2's standard order by default.

    Returns:
        one float32 tensor [C] per layer (zeros for ToRGB layers), to add to the style vectors;
        None ("no direction") when β leaves no channel.
    """
    unit = direction_offsets(fs3, style_std, dt, beta, is_torgb)
    if unit is None:
        return None
    return [alpha * ds for ds in unit]


def direction_offsets(
    fs3: torch.Tensor | np.ndarray,
    style_std: Sequence[torch.Tensor | np.ndarray],
    dt: torch.Tensor | np.ndarray,
    beta: float = DEFAULT_BETA,
    is_torgb: Sequence[bool] | None = None,
) -> list[torch.Tensor] | None:
    """Δs per layer at α = 1 (the unit step a global-direction edit stores), or None for no direction."""
    fs3 = _as_tensor(fs3)
    stds = [_as_tensor(s).reshape(-1).to(fs3.device) for s in style_std]
    given = len(is_torgb) if is_torgb is not None else None
    is_torgb, manipulated = _layout(stds, is_torgb)
    if is_torgb is None:
        raise ValueError(f"is_torgb has {given} entries for {len(stds)} style layers")
    if fs3.shape[0] != manipulated:
        raise ValueError(
            f"fs3 has {fs3.shape[0]} rows but the generator has {manipulated} non-ToRGB style channels; "
            "the table belongs to another generator layout"
        )
    r, count = relevance(fs3, dt, beta)
    if count == 0:
        return None
    r = r / r.abs().max()
    out, start = [], 0
    for std, rgb in zip(stds, is_torgb, strict=True):
        if rgb:
            out.append(torch.zeros_like(std))
            continue
        out.append(r[start : start + std.numel()] * std)
        start += std.numel()
    return out


@dataclass
class DirectionTables:
    """What global directions need for one generator: the fs3 table and StyleSpace statistics."""

    fs3: torch.Tensor                  # [manipulated channels, D]
    style_mean: list[torch.Tensor]     # per layer [C]
    style_std: list[torch.Tensor]      # per layer [C]
    is_torgb: list[bool]

    def count(self, dt: torch.Tensor, beta: float) -> int:
        return channel_count(self.fs3, dt, beta)

    def offsets(self, dt: torch.Tensor, beta: float) -> list[torch.Tensor] | None:
        return direction_offsets(self.fs3, self.style_std, dt, beta, self.is_torgb)


def load_fs3(path: str | os.PathLike) -> torch.Tensor:
    """Read an `fs3.npy` relevance table (StyleCLIP's `npy/<dataset>/fs3.npy`) as float32 [channels, D]."""
    path = Path(path)
    if not path.is_file():
        raise DirectionFileError(f"{path}: no such fs3 file")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DirectionFileError(f"{path}: not a numpy .npy array: {exc}") from exc
    if array.ndim != 2:
        raise DirectionFileError(f"{path}: fs3 must be 2-D [channels, clip_dim], found shape {list(array.shape)}")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


class _ArraysOnly(pickle.Unpickler):
    """Unpickle numpy arrays and plain containers only (the statistics files are pickles)."""

    _ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def load_style_statistics(path: str | os.PathLike) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Read StyleCLIP's `S_mean_std` (a pickle of `(means, stds)`, one array per StyleSpace layer).

    Returns:
        (means, stds): per layer float32 [C].
    """
    path = Path(path)
    if not path.is_file():
        raise DirectionFileError(f"{path}: no such StyleSpace statistics file")
    try:
        obj = _ArraysOnly(io.BytesIO(path.read_bytes())).load()
        means, stds = obj
        means = [torch.from_numpy(np.asarray(m, dtype=np.float32).reshape(-1)) for m in means]
        stds = [torch.from_numpy(np.asarray(s, dtype=np.float32).reshape(-1)) for s in stds]
    except Exception as exc:  # pickle errors, wrong structure
        raise DirectionFileError(f"{path}: not a StyleSpace statistics pickle of (means, stds): {exc}") from exc
    if len(means) != len(stds) or [m.numel() for m in means] != [s.numel() for s in stds]:
        raise DirectionFileError(f"{path}: means and stds do not have the same layers")
    return means, stds


def save_style_statistics(
    path: str | os.PathLike | BinaryIO, means: Sequence[torch.Tensor], stds: Sequence[torch.Tensor]
) -> None:
    """Write statistics in StyleCLIP's `S_mean_std` layout (a pickle of two lists of float32 arrays)."""
    data = ([m.detach().cpu().numpy().astype(np.float32) for m in means],
            [s.detach().cpu().numpy().astype(np.float32) for s in stds])
    blob = pickle.dumps(data, protocol=4)
    if hasattr(path, "write"):
        path.write(blob)
    else:
        Path(path).write_bytes(blob)


def load_direction_tables(
    fs3_path: str | os.PathLike,
    statistics_path: str | os.PathLike,
    is_torgb: Sequence[bool] | None = None,
) -> DirectionTables:
    """Load `fs3.npy` and `S_mean_std` and check they describe the same generator layout."""
    fs3 = load_fs3(fs3_path)
    means, stds = load_style_statistics(statistics_path)
    given = len(is_torgb) if is_torgb is not None else None
    is_torgb, manipulated = _layout(stds, is_torgb)
    if is_torgb is None:
        raise DirectionFileError(f"{statistics_path}: {len(stds)} layers, expected {given}")
    if fs3.shape[0] != manipulated:
        raise DirectionFileError(
            f"{fs3_path}: {fs3.shape[0]} rows, but {statistics_path} has {manipulated} non-ToRGB channels"
        )
    return DirectionTables(fs3, means, stds, is_torgb)


def _layout(stds: Sequence[torch.Tensor], is_torgb: Sequence[bool] | None) -> tuple[list[bool] | None, int]:
    """(ToRGB flag per layer, number of channels fs3 has rows for); flags None when they don't fit the layers."""
    flags = list(is_torgb) if is_torgb is not None else standard_torgb_pattern(len(stds))
    if len(flags) != len(stds):
        return None, 0
    return flags, sum(s.numel() for s, rgb in zip(stds, flags, strict=True) if not rgb)


def _as_tensor(x: torch.Tensor | np.ndarray) -> torch.Tensor:
    return x.float() if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x, dtype=np.float32))
