"""Loading the models in the background: calls meanwhile get `ModelsNotReady` with the stage and percent,
then are served; a failed load is reported to every later call."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from engine.service import Engine, EngineConfig, LatentState, ModelsMissing, ModelsNotReady
from engine.service.prepare import Preparation
from tests.core.helpers import shared_models


def test_calls_during_a_background_load_say_how_far_it_is_then_are_served():
    gate = threading.Event()
    preparation = Preparation()
    preparation.set_stage("downloading the models", 37.0)

    def load():
        gate.wait(60)
        return shared_models()

    async def run() -> None:
        engine = Engine(load, EngineConfig(max_batch=1), preparation=preparation)
        try:
            assert await engine.start(wait=False) is None
            with pytest.raises(ModelsNotReady) as info:
                await engine.render(LatentState(np.zeros((1, 512), np.float32)), caller="a")
            assert (info.value.percent, info.value.stage) == (37.0, "downloading the models")
            with pytest.raises(ModelsNotReady):
                await engine.invert(b"not looked at", caller="a")
            gate.set()
            models = await engine.start()
            assert engine.ready() is models
            w = np.zeros((models.generator.num_ws, 512), np.float32)
            image = await engine.render(LatentState(w), caller="a")
            assert image.shape == (models.generator.img_resolution, models.generator.img_resolution, 3)
        finally:
            gate.set()
            await engine.close()

    asyncio.run(run())


def test_a_failed_background_load_is_raised_to_every_later_call():
    def load():
        raise ModelsMissing("ViT-B-32.pt is missing")

    async def run() -> None:
        engine = Engine(load, EngineConfig(max_batch=1))
        try:
            await engine.start(wait=False)
            with pytest.raises(ModelsMissing, match=r"ViT-B-32\.pt"):
                await engine.start()
            with pytest.raises(ModelsMissing):
                engine.ready()
        finally:
            await engine.close()

    asyncio.run(run())


def test_nothing_started_means_the_first_call_loads():
    engine = Engine(shared_models)
    assert engine.ready() is None
