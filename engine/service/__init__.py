"""The engine as a shared, batched service with a narrow async API (see `engine.service.engine`)."""

from engine.service.engine import (
    EditResult,
    Engine,
    EngineConfig,
    Inverted,
    LatentState,
    Progress,
    Step,
    join_styles,
    split_styles,
)
from engine.service.errors import Cancelled, EngineBusy, EngineError, EngineOutOfMemory, ModelsNotReady, SlowEdit
from engine.service.models import ModelSet, ModelsMissing, demo_models, load_models, pick_device

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
