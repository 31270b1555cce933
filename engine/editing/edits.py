"""The edit state of DESIGN.md: each method's result is a step — in W+ or in StyleSpace — that is
added to the original latent at render time, so edits compose, rescale ("more", "less") and drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch

from engine.stylegan2 import Generator
from engine.stylegan2.generator import NoiseMode
from engine.values import Method


@dataclass(frozen=True)
class Edit:
    """One edit: what changed, scaled by `strength`.

    Exactly one of `w_step` ([num_ws, w_dim]) and `style_step` (per StyleSpace layer [C], None for
    untouched layers) is set. The change applied is `strength * step`:
    - mapper: `w_step = 0.1 * mapper(w)` at the latent it was applied to, strength 1;
    - global direction: `style_step` = the unit Δs, strength = α;
    - optimization: `w_step = w_opt − w0`, strength 1.
    """

    method: Method
    reason: str                                          # the router's explanation, for the person
    w_step: torch.Tensor | None = None
    style_step: tuple[torch.Tensor | None, ...] | None = None
    strength: float = 1.0
    prompt: str = ""
    pending_mapper: str | None = None  # a mapper that would have served the prompt, being fetched for next time

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method(self.method))
        if (self.w_step is None) == (self.style_step is None):
            raise ValueError("an edit has either a W+ step or a StyleSpace step, not both and not neither")
        if self.w_step is not None and self.w_step.ndim != 2:
            raise ValueError(f"a W+ step is [num_ws, w_dim], got {list(self.w_step.shape)}")

    @property
    def space(self) -> Literal["w+", "s"]:
        return "w+" if self.w_step is not None else "s"

    def rescaled(self, factor: float) -> Edit:
        """The same edit with its strength multiplied by `factor` ("more" = 1.5, "less" = 0.5 ...)."""
        return replace(self, strength=self.strength * factor)

    def with_strength(self, strength: float) -> Edit:
        return replace(self, strength=strength)


def apply_edits(
    generator: Generator, w_plus: torch.Tensor, edits: Sequence[Edit]
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Original latent + edits → (edited W+ [N, num_ws, w_dim], style vectors per layer [N, C]).

    W+ steps are added to `w_plus` first, the style vectors are computed from the sum, then
    StyleSpace steps are added: the order of the list does not matter.
    """
    ws = w_plus.unsqueeze(0) if w_plus.ndim == 2 else w_plus
    for edit in edits:
        if edit.w_step is not None:
            ws = ws + edit.strength * edit.w_step.to(ws)
    styles = generator.style_vectors(ws)
    for edit in edits:
        if edit.style_step is None:
            continue
        if len(edit.style_step) != len(styles):
            raise ValueError(f"a StyleSpace step has {len(edit.style_step)} layers, the generator {len(styles)}")
        styles = [s if d is None else s + edit.strength * d.to(s) for s, d in zip(styles, edit.style_step, strict=True)]
    return ws, styles


def render(
    generator: Generator,
    w_plus: torch.Tensor,
    edits: Sequence[Edit] = (),
    noise_mode: NoiseMode = "const",
    max_resolution: int | None = None,
) -> torch.Tensor:
    """Render the original latent ([num_ws, w_dim] or [N, num_ws, w_dim]) with `edits` applied → images."""
    _, styles = apply_edits(generator, w_plus, edits)
    return generator.synthesize_from_styles(styles, noise_mode=noise_mode, max_resolution=max_resolution)
