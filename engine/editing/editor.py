"""One call from a parsed instruction to an `Edit`: route, then run the chosen method."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn

from engine.editing.edits import Edit
from engine.editing.global_direction import DEFAULT_ALPHA, DirectionTables
from engine.editing.methods import ClipObjective, global_direction_edit, mapper_edit, optimization_edit
from engine.editing.optimization import DEFAULT_SETTINGS, IdLoss, OptimizationSettings, Progress
from engine.editing.registry import MapperRegistry
from engine.editing.router import DEFAULT_NEUTRAL, Instruction, MethodChoice, Route, Router
from engine.editing.text import CLIPLoss, TextEncoder
from engine.values import Method


class Editor:
    """Routes an instruction and applies the chosen StyleCLIP method to one latent.

    `Instruction.strength` multiplies each method's default strength (1 = StyleCLIP's defaults:
    the mapper's 0.1 step, α = 4.1 for global directions, the optimization's own result).
    `similarity_threshold` goes to the router built here (see `Router`); ignored when `router` is given.
    """

    def __init__(
        self,
        generator: nn.Module,
        clip_model: nn.Module,
        mappers: MapperRegistry | None = None,
        tables: DirectionTables | None = None,
        id_loss: IdLoss | None = None,
        settings: OptimizationSettings = DEFAULT_SETTINGS,
        router: Router | None = None,
        similarity_threshold: float = 0.9,
    ) -> None:
        self.generator = generator
        self.text = TextEncoder(clip_model)
        self.clip_loss = CLIPLoss(clip_model)
        self.mappers = mappers
        self.tables = tables
        self.id_loss = id_loss
        self.settings = settings
        self.router = router or Router(self.text, mappers, tables, similarity_threshold=similarity_threshold)

    def warm_up(self) -> None:
        """Embed the default neutral text now (at load), so a new prompt pays only for its own templates."""
        if self.text is not None and self.tables is not None:
            self.text.ensemble(DEFAULT_NEUTRAL)

    def route(self, instruction: Instruction, method: MethodChoice = "auto") -> Route:
        """Which method serves `instruction` and why (see `Router.route`); a mapper that would have served
        it but is not installed is requested, for next time."""
        route = self.router.route(instruction, method)
        if route.pending_mapper is not None and self.mappers is not None:
            self.mappers.request(route.pending_mapper)
        return route

    def edit(
        self,
        w_plus: torch.Tensor,
        instruction: Instruction,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        method: MethodChoice = "auto",
    ) -> Edit:
        """The edit for `instruction` at latent `w_plus` [num_ws, w_dim]; `Edit.reason` says why this method.

        Raises:
            PromptError: the prompt is empty or too long for CLIP.
            NoRoute: `method` insists on a method that cannot serve this prompt.
            EditCancelled: an optimization was cancelled.
        """
        return self.apply(w_plus, instruction, self.route(instruction, method), progress, cancel)

    def apply(
        self,
        w_plus: torch.Tensor,
        instruction: Instruction,
        route: Route,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        on_image: Callable[[int, torch.Tensor], None] | None = None,
    ) -> Edit:
        """Run the method `route` chose (mapper and global direction are fast; optimization is not)."""
        edit = self._apply(w_plus, instruction, route, progress, cancel, on_image)
        return replace(edit, pending_mapper=route.pending_mapper) if route.pending_mapper else edit

    def _apply(
        self,
        w_plus: torch.Tensor,
        instruction: Instruction,
        route: Route,
        progress: Progress | None,
        cancel: threading.Event | None,
        on_image: Callable[[int, torch.Tensor], None] | None,
    ) -> Edit:
        factor = 1.0 if instruction.strength is None else float(instruction.strength)
        prompt = instruction.target
        if route.method is Method.MAPPER:
            device = self.generator.w_avg.device
            mapper = self.mappers.load(route.mapper, device=str(device))
            return mapper_edit(self.generator, w_plus, mapper, strength=factor, reason=route.reason, prompt=prompt)
        if route.method is Method.GLOBAL_DIRECTION:
            dt = self.text.direction(prompt, instruction.neutral or DEFAULT_NEUTRAL)
            direction = self.tables.offsets(dt, route.beta)
            return global_direction_edit(
                self.generator, w_plus, direction, strength=DEFAULT_ALPHA * factor, reason=route.reason, prompt=prompt
            )
        objective = ClipObjective(self.clip_loss, self.text.plain(prompt))
        return optimization_edit(
            self.generator, w_plus, objective, strength=factor, reason=route.reason, prompt=prompt,
            id_loss=self.id_loss, settings=self.settings, progress=progress, cancel=cancel, on_image=on_image,
        )
