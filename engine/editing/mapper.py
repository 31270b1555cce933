"""StyleCLIP's latent mapper (Patashnik et al. 2021, §5): a small MLP per prompt that predicts a W+ step.

Laid out as StyleCLIP's `mapper/latent_mappers.py` `LevelsMapper`, so released checkpoints load key
for key: coarse (W+ rows 0–3), medium (4–7) and fine (8–) sub-mappers, each PixelNorm then
4 × EqualLinear(512, 512, lr_mul=0.01) with fused leaky ReLU. The edit is `w + 0.1 * mapper(w)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from engine.checkpoints import CheckpointError, load_strict, read_checkpoint, strip_prefix
from engine.stylegan2.layers import EqualLinear, PixelNorm

MAPPER_STEP = 0.1  # StyleCLIP's `w_hat = w + 0.1 * mapper(w)` (mapper/scripts/inference.py, coach.py)

# Sub-mapper name (the reference spells coarse "course") → its W+ rows; fine takes every row from 8 on.
LEVELS = (("course_mapping", 0, 4), ("medium_mapping", 4, 8), ("fine_mapping", 8, None))
_OPTION_OF = {
    "course_mapping": "no_coarse_mapper",
    "medium_mapping": "no_medium_mapper",
    "fine_mapping": "no_fine_mapper",
}


class SubMapper(nn.Module):
    """PixelNorm + 4 equalized-lr layers. The reference PixelNorm normalises over dim 1 of its
    [N, rows, 512] input — across the W+ rows of the group, not the features — kept for released weights."""

    def __init__(self, latent_dim: int = 512, num_layers: int = 4) -> None:
        super().__init__()
        self.mapping = nn.Sequential(
            PixelNorm(dim=1),
            *[EqualLinear(latent_dim, latent_dim, lr_mul=0.01, activate=True, bias_dim=-1) for _ in range(num_layers)],
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mapping(x)


class LevelsMapper(nn.Module):
    """W+ [N, num_ws, 512] → the mapper's step [N, num_ws, 512] (before the 0.1 scale); an absent
    sub-mapper contributes zeros for its rows."""

    def __init__(self, coarse: bool = True, medium: bool = True, fine: bool = True, latent_dim: int = 512) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        present = dict(zip((name for name, _, _ in LEVELS), (coarse, medium, fine), strict=True))
        for name, _, _ in LEVELS:
            setattr(self, name, SubMapper(latent_dim) if present[name] else None)

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1] <= 8 or ws.shape[2] != self.latent_dim:
            raise ValueError(f"the mapper takes W+ [N, num_ws > 8, {self.latent_dim}], got {list(ws.shape)}")
        parts = []
        for name, start, stop in LEVELS:
            rows = ws[:, start:stop]
            sub = getattr(self, name)
            parts.append(sub(rows) if sub is not None else torch.zeros_like(rows))
        return torch.cat(parts, dim=1)


@dataclass(frozen=True)
class MapperInfo:
    """What a mapper checkpoint says about itself (its training options)."""

    description: str | None   # the text it was trained for (`opts["description"]`)
    stylegan_size: int | None


def mapper_from_state_dict(
    state: Mapping[str, torch.Tensor],
    opts: Mapping | None = None,
    source: str = "state dict",
) -> LevelsMapper:
    """Build a LevelsMapper from a StyleCLIP mapper `state_dict` (keys `mapper.*`; `decoder.*`, the full
    generator the checkpoint also holds, is ignored) and load it strictly.

    Which sub-mappers exist comes from `opts` (`no_coarse_mapper`, ...) when given, else from the keys.
    """
    mapper_state = strip_prefix(state, "mapper.")
    if not mapper_state:
        raise CheckpointError(f"{source}: no 'mapper.*' keys; not a StyleCLIP mapper checkpoint")
    opts = dict(opts or {})
    mapper_type = opts.get("mapper_type", "LevelsMapper")
    if mapper_type != "LevelsMapper":
        raise CheckpointError(f"{source}: mapper_type {mapper_type!r} is not supported (only LevelsMapper)")
    present = {}
    for name, _, _ in LEVELS:
        option = _OPTION_OF[name]
        present[name] = not opts[option] if option in opts else any(k.startswith(name + ".") for k in mapper_state)
    mapper = LevelsMapper(present["course_mapping"], present["medium_mapping"], present["fine_mapping"])
    levels = [name for name, _, _ in LEVELS if present[name]]
    load_strict(mapper, mapper_state, source, what=f"a LevelsMapper with {', '.join(levels) or 'no sub-mappers'}")
    return mapper.eval().requires_grad_(False)


def read_mapper_checkpoint(path: str | os.PathLike) -> tuple[LevelsMapper, MapperInfo]:
    """Load a released StyleCLIP mapper file (`{"state_dict": ..., "opts": ...}`) and its options."""
    ckpt = read_checkpoint(path)
    if "state_dict" not in ckpt:
        raise CheckpointError(f"{path}: no 'state_dict' entry; not a StyleCLIP mapper checkpoint")
    opts = ckpt.get("opts") or {}
    if not isinstance(opts, Mapping):  # an argparse.Namespace in some saves
        opts = vars(opts)
    mapper = mapper_from_state_dict(ckpt["state_dict"], opts, source=str(path))
    size = opts.get("stylegan_size")
    return mapper, MapperInfo(opts.get("description"), int(size) if size is not None else None)


def load_mapper(path: str | os.PathLike, device: str | torch.device = "cpu") -> LevelsMapper:
    """The mapper of a StyleCLIP mapper checkpoint: W+ [N, 18, 512] → its step (before the 0.1 scale).

    Raises:
        CheckpointError: missing or unreadable file, or keys that do not match a LevelsMapper.
    """
    return read_mapper_checkpoint(path)[0].to(device)
