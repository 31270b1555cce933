"""The engine service end to end on demo models: inversion, the three methods, batching, the slow lane."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from engine.editing import Instruction, OptimizationSettings, apply_edits
from engine.editing.mapper import MAPPER_STEP
from engine.errors import NoFaceFound, NotAnImage
from engine.images import to_uint8
from engine.service import EngineBusy, EngineConfig, LatentState, Step, demo_models
from engine.service.engine import Engine, split_styles
from engine.values import Method


@pytest.fixture(scope="module")
def models():
    return demo_models(seed=0)


@pytest.fixture
def engine(models):
    models.editor.settings = OptimizationSettings(steps=10)
    return Engine(lambda: models, EngineConfig(max_batch=8, max_wait_s=0.2, preview_every=4))


def jpeg(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=95)
    return buf.getvalue()


@pytest.fixture(scope="module")
def astronaut() -> bytes:
    return jpeg(data.astronaut())


def run(coro):
    return asyncio.run(coro)


def reference_image(models, state: LatentState) -> np.ndarray:
    """Render a state directly with the editing package, bypassing the service."""
    g = models.generator
    edits = []
    from engine.editing import Edit

    for step in state.steps:
        array = torch.from_numpy(step.array)
        if step.kind == "w_plus":
            edits.append(Edit("mapper", "", w_step=array))
        else:
            edits.append(Edit("global_direction", "", style_step=tuple(split_styles(g, array))))
    with torch.no_grad():
        _, styles = apply_edits(g, torch.from_numpy(state.w_plus), edits)
        return to_uint8(g.synthesize_from_styles(styles))[0]


def test_invert_a_real_photo(engine, models, astronaut):
    inverted = run(engine.invert(astronaut, caller="a"))
    assert inverted.w_plus.shape == (models.generator.num_ws, 512) and inverted.w_plus.dtype == np.float32
    assert inverted.aligned.shape == (256, 256, 3)
    assert np.isfinite(inverted.w_plus).all()


def test_photo_problems_are_typed(engine):
    with pytest.raises(NoFaceFound):
        run(engine.invert(jpeg(data.chelsea()), caller="a"))
    with pytest.raises(NotAnImage):
        run(engine.invert(b"this is not a photo", caller="a"))


def test_mapper_step_is_taken_at_the_current_latent(engine, models, astronaut):
    w_plus = run(engine.invert(astronaut, caller="a")).w_plus
    earlier = Step("w_plus", np.full_like(w_plus, 0.05))
    result = run(engine.edit(LatentState(w_plus, (earlier,)), Instruction("mohawk"), caller="a"))
    assert result.method == "mapper" and result.reason == "mapper 'mohawk': 'mohawk' names it"
    assert result.route.mapper == "mohawk" and result.route.channels is None and result.step.method is Method.MAPPER
    mapper = models.editor.mappers.load("mohawk")
    with torch.no_grad():
        expected = MAPPER_STEP * mapper(torch.from_numpy(w_plus + 0.05)[None])[0]
    np.testing.assert_allclose(result.step.array, expected.numpy(), atol=1e-6)


def test_global_direction_step_is_linear_in_strength(engine, models, astronaut):
    w_plus = run(engine.invert(astronaut, caller="a")).w_plus
    plain = run(engine.edit(LatentState(w_plus), Instruction("smiling face"), caller="a"))
    double = run(engine.edit(LatentState(w_plus), Instruction("smiling face", strength=2.0), caller="a"))
    assert plain.method == "global_direction" and plain.reason.startswith("global direction: ")
    assert plain.step.kind == "style"
    assert plain.route.method is Method.GLOBAL_DIRECTION and f"{plain.route.channels} channels" in plain.reason
    assert plain.route.beta is not None and double.route.alpha == pytest.approx(2 * plain.route.alpha)
    assert plain.step.array.shape == (sum(layer.channels for layer in models.generator.style_layers),)
    np.testing.assert_allclose(double.step.array, 2 * plain.step.array, rtol=1e-6)
    assert np.abs(plain.step.array).max() > 0


def test_render_composes_steps_like_the_editing_package(engine, models, astronaut):
    w_plus = run(engine.invert(astronaut, caller="a")).w_plus
    mapper = run(engine.edit(LatentState(w_plus), Instruction("mohawk"), caller="a")).step
    direction = run(engine.edit(LatentState(w_plus, (mapper,)), Instruction("smiling face"), caller="a")).step
    state = LatentState(w_plus, (mapper, direction))
    image = run(engine.render(state, caller="a"))
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - reference_image(models, state).astype(int)).max() <= 1
    plain = run(engine.render(LatentState(w_plus), caller="a"))
    assert np.abs(image.astype(int) - plain.astype(int)).mean() > 0.5


def test_requests_from_different_chats_share_one_generator_pass(engine, astronaut):
    w_plus = run(engine.invert(astronaut, caller="a")).w_plus
    states = [LatentState(w_plus + 0.01 * i) for i in range(5)]

    async def scenario():
        return await asyncio.gather(*(engine.render(s, caller=f"chat {i}") for i, s in enumerate(states)))

    images = run(scenario())
    assert engine.batch_sizes["render"] == [5]
    singles = [run(engine.render(s, caller="a")) for s in states[:2]]
    for single, batched in zip(singles, images, strict=False):
        assert np.abs(single.astype(int) - batched.astype(int)).max() <= 1


def test_optimization_reports_progress_with_previews(engine, astronaut):
    w_plus = run(engine.invert(astronaut, caller="a")).w_plus
    updates = []
    result = run(engine.edit(LatentState(w_plus), Instruction("a lion"), caller="a", method="optimization",
                             on_progress=updates.append))
    assert result.method == "optimization" and result.reason == "optimization: asked for"
    assert result.route.method is Method.OPTIMIZATION and result.route.steps == 10
    assert result.step.method is Method.OPTIMIZATION
    assert [u.step for u in updates] == list(range(1, 11))
    assert [u.step for u in updates if u.preview is not None] == [4, 8]
    assert updates[3].preview.shape == (256, 256, 3)
    assert result.step.kind == "w_plus" and np.abs(result.step.array).max() > 0


@pytest.fixture
def long_optimizations(models):
    """An engine whose optimizations run until cancelled."""
    models.editor.settings = OptimizationSettings(steps=10_000)
    return Engine(lambda: models, EngineConfig(preview_every=0))


async def running_optimization(engine: Engine, w_plus: np.ndarray, caller: str) -> asyncio.Task:
    """Start an optimization and return once it has reported its first step."""
    seen = asyncio.Event()
    task = asyncio.create_task(engine.edit(LatentState(w_plus), Instruction("a lion"), caller=caller,
                                           method="optimization", on_progress=lambda u: seen.set()))
    await seen.wait()
    return task


def test_cancelling_an_optimization(long_optimizations, models, astronaut):
    engine = long_optimizations

    async def scenario():
        w_plus = (await engine.invert(astronaut, caller="a")).w_plus
        task = await running_optimization(engine, w_plus, caller="a")
        # While it runs, a fast render of someone else goes through.
        image = await engine.render(LatentState(w_plus), caller="b")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The lane is free again for the same person.
        models.editor.settings = OptimizationSettings(steps=2)
        again = await engine.edit(LatentState(w_plus), Instruction("a lion"), caller="a", method="optimization")
        return image, again

    image, again = run(scenario())
    assert image.shape == (256, 256, 3)
    assert again.route.steps == 2


def test_a_second_optimization_of_the_same_person_is_refused(long_optimizations, astronaut):
    engine = long_optimizations

    async def scenario():
        w_plus = (await engine.invert(astronaut, caller="a")).w_plus
        first = await running_optimization(engine, w_plus, caller="a")
        try:
            with pytest.raises(EngineBusy, match="already have an optimisation running"):
                await engine.edit(LatentState(w_plus), Instruction("a tiger"), caller="a", method="optimization")
        finally:
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)

    run(scenario())


def test_a_queued_optimization_reports_its_place(long_optimizations, astronaut):
    engine = long_optimizations

    async def scenario():
        w_plus = (await engine.invert(astronaut, caller="a")).w_plus
        first = await running_optimization(engine, w_plus, caller="a")
        updates = []
        second = asyncio.create_task(engine.edit(LatentState(w_plus), Instruction("a tiger"), caller="b",
                                                 method="optimization", on_progress=updates.append))
        while not updates:
            await asyncio.sleep(0.01)
        for task in (first, second):
            task.cancel()
        await asyncio.gather(first, second, return_exceptions=True)
        return updates[0]

    waiting = run(scenario())
    assert (waiting.step, waiting.queue_position) == (0, 1)
    assert waiting.estimated_wait_s > 0 and np.isnan(waiting.loss)
