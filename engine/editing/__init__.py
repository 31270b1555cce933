"""Text-driven editing (StyleCLIP, Patashnik et al. 2021): CLIP scoring, latent mapper, global
direction, latent optimization, and the router that picks one per prompt.

Every method returns an `Edit` (a W+ or StyleSpace step); `render` draws a latent with a list of them.
"""

from __future__ import annotations

import os

import torch

from engine.editing.editor import Editor
from engine.editing.edits import Edit, apply_edits, render
from engine.editing.global_direction import (
    DEFAULT_ALPHA,
    DEFAULT_BETA,
    DirectionFileError,
    DirectionTables,
    channel_count,
    direction_offsets,
    global_direction,
    load_direction_tables,
    load_fs3,
    load_style_statistics,
    relevance,
    save_style_statistics,
    standard_torgb_pattern,
)
from engine.editing.mapper import MAPPER_STEP, LevelsMapper, load_mapper, mapper_from_state_dict, read_mapper_checkpoint
from engine.editing.methods import ClipObjective, global_direction_edit, mapper_edit, optimization_edit
from engine.editing.optimization import (
    EditCancelled,
    OptimizationResult,
    OptimizationSettings,
    lr_schedule,
    optimize_latent,
)
from engine.editing.preprocess import precompute_direction_tables, style_statistics
from engine.editing.registry import RELEASED_MAPPERS, MapperRegistry, MapperSpec, normalize_prompt
from engine.editing.router import DEFAULT_NEUTRAL, Instruction, MethodChoice, NoRoute, Route, Router
from engine.editing.text import (
    IMAGENET_TEMPLATES,
    CLIPLoss,
    PromptError,
    TextEncoder,
    clip_image_input,
    load_clip,
    text_direction,
)


def load_id_network(path: str | os.PathLike, device: str | torch.device = "cpu") -> torch.nn.Module:
    """The ArcFace IR-SE50 backbone of StyleCLIP's identity loss (`model_ir_se50.pth`); see `engine.identity`."""
    from engine import identity

    return identity.load_id_network(path, device=device)


__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_BETA",
    "DEFAULT_NEUTRAL",
    "IMAGENET_TEMPLATES",
    "MAPPER_STEP",
    "RELEASED_MAPPERS",
    "CLIPLoss",
    "ClipObjective",
    "DirectionFileError",
    "DirectionTables",
    "Edit",
    "EditCancelled",
    "Editor",
    "Instruction",
    "LevelsMapper",
    "MapperRegistry",
    "MapperSpec",
    "MethodChoice",
    "NoRoute",
    "OptimizationResult",
    "OptimizationSettings",
    "PromptError",
    "Route",
    "Router",
    "TextEncoder",
    "apply_edits",
    "channel_count",
    "clip_image_input",
    "direction_offsets",
    "global_direction",
    "global_direction_edit",
    "load_clip",
    "load_direction_tables",
    "load_fs3",
    "load_id_network",
    "load_mapper",
    "load_style_statistics",
    "lr_schedule",
    "mapper_edit",
    "mapper_from_state_dict",
    "normalize_prompt",
    "optimization_edit",
    "optimize_latent",
    "precompute_direction_tables",
    "read_mapper_checkpoint",
    "relevance",
    "render",
    "save_style_statistics",
    "standard_torgb_pattern",
    "style_statistics",
    "text_direction",
]
