"""An engine whose models include ArcFace: the real IR-SE50 class with the conformance manifest's weights."""

from __future__ import annotations

import copy
import dataclasses
import functools

from engine.identity import IDLoss, backbone_from_state_dict
from engine.service import Engine, EngineConfig, ModelSet
from tests.core.helpers import shared_models
from tests.manifests import state_dict_from_manifest


@functools.cache
def models_with_arcface() -> ModelSet:
    """The shared demo models with an identity network added (on a copy of the editor: others stay as they are)."""
    models = shared_models()
    editor = copy.copy(models.editor)
    editor.id_loss = IDLoss(backbone_from_state_dict(state_dict_from_manifest("arcface_irse50")))
    return dataclasses.replace(models, editor=editor)


def engine_with_arcface() -> Engine:
    return Engine(models_with_arcface, EngineConfig(max_batch=1))
