"""The three StyleCLIP editing methods as functions of one shape:

    method(generator, w_plus, guide, *, strength, reason, ...) -> Edit

`w_plus` is the latent the edit applies to ([num_ws, w_dim]); `guide` is what steers the method (a
mapper, a StyleSpace direction, or a CLIP objective). Each returns an `Edit` holding its step, so the
session renders original latent + steps (see `edits.render`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from engine.editing.edits import Edit
from engine.editing.global_direction import DEFAULT_ALPHA
from engine.editing.mapper import MAPPER_STEP
from engine.editing.optimization import DEFAULT_SETTINGS, IdLoss, OptimizationSettings, Progress, optimize_latent
from engine.editing.text import CLIPLoss
from engine.stylegan2 import Generator
from engine.values import Method


@dataclass(frozen=True)
class ClipObjective:
    """What latent optimization pulls toward: the CLIP loss and the unit text embedding of the sentence."""

    clip_loss: CLIPLoss
    text_features: torch.Tensor   # [D], unit norm


def mapper_edit(
    generator: Generator,
    w_plus: torch.Tensor,
    mapper: nn.Module,
    *,
    strength: float = 1.0,
    reason: str = "",
    prompt: str = "",
) -> Edit:
    """Latent mapper (StyleCLIP, Patashnik et al. 2021, §5): W+ step 0.1 · mapper(w) at this latent."""
    ws = _single(generator, w_plus)
    with torch.no_grad():
        step = MAPPER_STEP * mapper(ws.unsqueeze(0).to(next(mapper.parameters()).device))[0]
    return Edit(Method.MAPPER, reason, w_step=step.to(ws), strength=strength, prompt=prompt)


def global_direction_edit(
    generator: Generator,
    w_plus: torch.Tensor,
    direction: Sequence[torch.Tensor | None],
    *,
    strength: float = DEFAULT_ALPHA,
    reason: str = "",
    prompt: str = "",
) -> Edit:
    """Global direction (StyleCLIP, Patashnik et al. 2021, §6): StyleSpace step α · Δs.

    `direction` is the unit Δs per layer (`direction_offsets` / `DirectionTables.offsets`); it does
    not depend on the image, so `w_plus` is only checked.
    """
    _single(generator, w_plus)
    if len(direction) != len(generator.style_layers):
        raise ValueError(f"the direction has {len(direction)} layers, the generator {len(generator.style_layers)}")
    return Edit(Method.GLOBAL_DIRECTION, reason, style_step=tuple(direction), strength=strength, prompt=prompt)


def optimization_edit(
    generator: Generator,
    w_plus: torch.Tensor,
    objective: ClipObjective,
    *,
    strength: float = 1.0,
    reason: str = "",
    prompt: str = "",
    id_loss: IdLoss | None = None,
    settings: OptimizationSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_image: Callable[[int, torch.Tensor], None] | None = None,
) -> Edit:
    """Latent optimization (StyleCLIP, Patashnik et al. 2021, §4): W+ step w_opt − w0.

    Raises:
        EditCancelled: cancelled through `progress` or `cancel`.
    """
    ws = _single(generator, w_plus)
    result = optimize_latent(
        generator, ws, objective.clip_loss, objective.text_features, id_loss, settings, progress, cancel, on_image
    )
    return Edit(Method.OPTIMIZATION, reason, w_step=result.w_step[0], strength=strength, prompt=prompt)


def _single(generator: Generator, w_plus: torch.Tensor) -> torch.Tensor:
    ws = w_plus[0] if w_plus.ndim == 3 and w_plus.shape[0] == 1 else w_plus
    if ws.shape != (generator.num_ws, generator.w_dim):
        raise ValueError(
            f"w_plus must be [{generator.num_ws}, {generator.w_dim}] (one image), got {list(w_plus.shape)}"
        )
    return ws
