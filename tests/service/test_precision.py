"""`EngineConfig.autocast` draws in lower precision: close to float32, and really not float32."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine.service import Engine, EngineConfig, LatentState, demo_models


@pytest.fixture(scope="module")
def models():
    return demo_models(seed=0, resolution=64)


def render(models, autocast) -> np.ndarray:
    engine = Engine(lambda: models, EngineConfig(max_batch=1, autocast=autocast))
    w_plus = models.generator.broadcast(models.generator.w_avg[None])[0].numpy()

    async def scenario():
        try:
            return await engine.render(LatentState(w_plus), caller="a")
        finally:
            await engine.close()

    return asyncio.run(scenario()).astype(np.int16)


def test_bf16_renders_stay_close_to_float32(models):
    full, half = render(models, None), render(models, "bf16")
    difference = np.abs(full - half)
    assert difference.max() > 0  # autocast was in effect
    assert difference.mean() < 4.0  # of 255
