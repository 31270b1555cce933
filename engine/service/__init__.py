"""The engine as a shared, batched service with a narrow async API (see `engine.service.engine`).

The values and errors it speaks are defined in `engine.values` and `engine.errors` (no torch) and repeated here
for the engine's own callers."""

from engine.errors import (
    Cancelled,
    EngineBusy,
    EngineError,
    EngineOutOfMemory,
    ModelsMissing,
    ModelsNotReady,
    SlowEdit,
)
from engine.service.engine import Engine, EngineConfig, join_styles, split_styles
from engine.service.models import ModelSet, demo_models, load_models, pick_device
from engine.values import EditResult, Inverted, LatentState, Progress, Step

__all__ = [
    "Cancelled",
    "EditResult",
    "Engine",
    "EngineBusy",
    "EngineConfig",
    "EngineError",
    "EngineOutOfMemory",
    "Inverted",
    "LatentState",
    "ModelSet",
    "ModelsMissing",
    "ModelsNotReady",
    "Progress",
    "SlowEdit",
    "Step",
    "demo_models",
    "join_styles",
    "load_models",
    "pick_device",
    "split_styles",
]
