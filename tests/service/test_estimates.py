"""Optimization estimates come from step times measured in this process, and a long one is asked about first."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine.editing import Instruction, OptimizationSettings
from engine.service import Engine, EngineConfig, LatentState, SlowEdit, demo_models
from engine.service.estimates import STEP_PER_RENDER, UNMEASURED_STEP_S, StepTimes


def test_the_estimate_follows_measured_step_times():
    times = StepTimes(smoothing=0.5)
    assert times.step_seconds("cpu") == UNMEASURED_STEP_S["cpu"]  # nothing measured yet: the fixed guess
    times.record_step("cpu", 2.0)
    assert times.optimization_seconds("cpu", 300) == pytest.approx(600.0)  # the first step as measured
    for _ in range(10):  # the machine got twice as slow
        times.record_step("cpu", 4.0)
    assert times.step_seconds("cpu") == pytest.approx(4.0, abs=0.01)
    assert times.measured_steps("cpu") == 11
    assert times.step_seconds("cuda") == UNMEASURED_STEP_S["cuda"]  # each device on its own


def test_before_any_step_a_step_is_guessed_from_measured_renders():
    times = StepTimes()
    times.record_render("cpu", 6.0, images=2)
    assert times.step_seconds("cpu") == pytest.approx(STEP_PER_RENDER * 3.0)
    times.record_step("cpu", 1.0)
    assert times.step_seconds("cpu") == 1.0  # a real step wins over the guess
    times.record_step("cpu", float("nan"))  # a clock oddity is ignored
    assert times.step_seconds("cpu") == 1.0


@pytest.fixture(scope="module")
def models():
    models = demo_models(seed=0, resolution=64)
    models.editor.settings = OptimizationSettings(steps=3)
    return models


def test_the_engine_measures_its_own_renders_and_steps(models):
    engine = Engine(lambda: models, EngineConfig(max_batch=1, preview_every=0))
    w_plus = models.generator.broadcast(models.generator.w_avg[None])[0].numpy()

    async def scenario():
        await engine.render(LatentState(w_plus), caller="a")
        after_render = engine.estimated_optimization_s()
        await engine.edit(LatentState(w_plus), Instruction("a lion"), caller="a", method="optimization")
        await engine.close()
        return after_render

    after_render = asyncio.run(scenario())
    assert after_render != 3 * UNMEASURED_STEP_S["cpu"]  # already from the render measured here
    assert engine.estimates.measured_steps("cpu") == 3
    assert engine.estimated_optimization_s() == pytest.approx(3 * engine.estimates.step_seconds("cpu"))


@pytest.mark.parametrize(("ask_above_s", "asked"), [(0.0, True), (1e9, False)])
def test_a_long_optimization_is_asked_about_first(models, ask_above_s, asked):
    engine = Engine(lambda: models, EngineConfig(max_batch=1, preview_every=0, ask_above_s=ask_above_s))
    w_plus = np.asarray(models.generator.broadcast(models.generator.w_avg[None])[0])

    async def scenario():
        try:
            return await engine.edit(
                LatentState(w_plus), Instruction("a lion"), caller="a", method="optimization", ask_first=True
            )
        finally:
            await engine.close()

    if asked:
        with pytest.raises(SlowEdit) as info:
            asyncio.run(scenario())
        assert info.value.steps == 3 and info.value.estimated_s > 0 and info.value.reason == "optimization: asked for"
        assert engine.estimates.measured_steps("cpu") == 0  # nothing ran
    else:
        assert asyncio.run(scenario()).route.steps == 3
