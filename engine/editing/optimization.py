"""StyleCLIP's latent optimization (Patashnik et al. 2021, §4): gradient descent on W+ with
CLIP loss + λ_L2·‖w − w₀‖² + λ_ID·ID loss, the slow fallback that works for any prompt.

Follows StyleCLIP's `optimization/run_optimization.py`: Adam at lr 0.1 with a warm-up over the first
5 % and a cosine ramp-down over the last 25 % of the steps (`get_lr`), the generator's stored noise,
and the ID loss against the image of the starting latent.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from engine.editing.text import CLIPLoss
from engine.stylegan2 import Generator

IdLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]   # (y_hat, y) → scalar
Progress = Callable[[int, float], bool | None]                  # (step, loss) → False to cancel


class EditCancelled(RuntimeError):
    """The optimization was cancelled before it finished; nothing was changed."""


@dataclass(frozen=True)
class OptimizationSettings:
    """StyleCLIP's defaults for real faces (`run_optimization.py` arguments)."""

    steps: int = 300
    lr: float = 0.1
    l2_lambda: float = 0.008
    id_lambda: float = 0.005
    patience: int | None = None   # stop when the CLIP loss has not improved by `min_delta` for this many steps
    min_delta: float = 1e-3


DEFAULT_SETTINGS = OptimizationSettings()


@dataclass
class OptimizationResult:
    w_step: torch.Tensor                               # w_opt − w0, [N, num_ws, w_dim]
    steps_run: int
    losses: list[float] = field(default_factory=list)  # total loss per step
    clip_losses: list[float] = field(default_factory=list)
    stopped_early: bool = False


def lr_schedule(t: float, initial_lr: float, rampdown: float = 0.25, rampup: float = 0.05) -> float:
    """StyleCLIP's `get_lr`: lr at progress t ∈ [0, 1) — linear warm-up, cosine ramp-down."""
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    ramp = ramp * min(1.0, t / rampup)
    return initial_lr * ramp


def optimize_latent(
    generator: Generator,
    w_plus: torch.Tensor,
    clip_loss: CLIPLoss,
    text_features: torch.Tensor,
    id_loss: IdLoss | None = None,
    settings: OptimizationSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_image: Callable[[int, torch.Tensor], None] | None = None,
) -> OptimizationResult:
    """Optimise W+ toward the text; return the W+ change it found.

    Args:
        generator: the StyleGAN2 generator (its weights are not changed).
        w_plus: the starting latent [num_ws, w_dim] or [N, num_ws, w_dim].
        clip_loss: `CLIPLoss` around the CLIP model.
        text_features: unit CLIP embedding of the target sentence [D].
        id_loss: `(y_hat, y) → scalar` identity loss against the starting image, or None to leave it out
            (e.g. for generated faces, as StyleCLIP's `free_generation`).
        progress: called after every step with (step, loss); returning False cancels.
        cancel: set it (from another thread) to cancel.
        on_image: called after every step, before `progress`, with (step, the image that step scored),
            e.g. for previews in a status message.

    Raises:
        EditCancelled: when cancelled; the caller's latent is untouched.
    """
    w0 = (w_plus.unsqueeze(0) if w_plus.ndim == 2 else w_plus).detach()
    latent = w0.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([latent], lr=settings.lr)
    y = None
    if id_loss is not None and settings.id_lambda > 0:
        with torch.no_grad():
            y = generator.synthesize(w0)
    result = OptimizationResult(torch.zeros_like(w0), 0)
    best, since_best = math.inf, 0
    for step in range(settings.steps):
        if cancel is not None and cancel.is_set():
            raise EditCancelled(f"optimization cancelled at step {step} of {settings.steps}")
        optimizer.param_groups[0]["lr"] = lr_schedule(step / settings.steps, settings.lr)
        image = generator.synthesize(latent)
        c_loss = clip_loss(image, text_features).mean()
        loss = c_loss + settings.l2_lambda * ((w0 - latent) ** 2).sum()
        if y is not None:
            loss = loss + settings.id_lambda * id_loss(image, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        result.steps_run = step + 1
        loss_value, clip_value = loss.item(), c_loss.item()
        result.losses.append(loss_value)
        result.clip_losses.append(clip_value)
        if on_image is not None:
            on_image(step + 1, image.detach())
        if progress is not None and progress(step + 1, loss_value) is False:
            raise EditCancelled(f"optimization cancelled at step {step + 1} of {settings.steps}")
        if settings.patience is not None:
            if clip_value < best - settings.min_delta:
                best, since_best = clip_value, 0
            else:
                since_best += 1
                if since_best >= settings.patience:
                    result.stopped_early = True
                    break
    result.w_step = (latent.detach() - w0)
    return result
