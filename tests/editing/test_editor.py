import pytest
import torch

from engine.editing import (
    DEFAULT_ALPHA,
    DirectionTables,
    Editor,
    Instruction,
    MapperRegistry,
    OptimizationSettings,
    TextEncoder,
    mapper_from_state_dict,
    render,
)


def _w(g, seed=0):
    return g.broadcast(g.mapping(torch.randn(1, g.w_dim, generator=torch.Generator().manual_seed(seed))))[0]


def test_mapper_route_gives_a_mapper_step(tmp_path, manifest, generator_18, bow_clip):
    state = manifest("mapper_18")
    torch.save({"state_dict": state, "opts": {"description": "mohawk hairstyle"}}, tmp_path / "mohawk.pt")
    editor = Editor(generator_18, bow_clip, mappers=MapperRegistry.from_folder(tmp_path))
    w = _w(generator_18)
    edit = editor.edit(w, Instruction("Give him a mohawk", strength=0.5))
    assert edit.method == "mapper" and edit.reason == "mapper 'mohawk': 'Give him a mohawk' names it"
    assert edit.strength == 0.5 and edit.prompt == "Give him a mohawk"
    torch.testing.assert_close(edit.w_step, 0.1 * mapper_from_state_dict(state)(w[None])[0])


def test_global_direction_route_gives_a_style_step(small_generator, bow_clip):
    g = small_generator
    text = TextEncoder(bow_clip)
    dt = text.direction("face with a beard", "face")
    rows = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    noise = torch.randn(rows, dt.numel(), generator=torch.Generator().manual_seed(0))
    noise = torch.nn.functional.normalize(noise - (noise @ dt)[:, None] * dt, dim=1)
    fs3 = noise.clone()
    fs3[:12] = 0.5 * dt + 0.75**0.5 * noise[:12]
    stds = [torch.full((layer.channels,), 0.2) for layer in g.style_layers]
    tables = DirectionTables(fs3, [torch.zeros_like(s) for s in stds], stds, [la.is_torgb for la in g.style_layers])
    editor = Editor(g, bow_clip, tables=tables)
    w = _w(g)
    edit = editor.edit(w, Instruction("face with a beard", strength=2.0))
    assert edit.method == "global_direction" and edit.reason == "global direction: 12 channels at β=0.15"
    assert edit.strength == pytest.approx(2 * DEFAULT_ALPHA)
    offsets = [2 * DEFAULT_ALPHA * d for d in tables.offsets(dt, 0.15)]
    torch.testing.assert_close(render(g, w, [edit]), g.synthesize(w[None], style_offsets=offsets))


def test_fallback_is_optimization_with_progress(small_generator, clip_model):
    editor = Editor(small_generator, clip_model, settings=OptimizationSettings(steps=3))
    steps = []
    w = _w(small_generator)
    edit = editor.edit(w, Instruction("a face with purple hair"), progress=lambda step, loss: steps.append(step))
    assert edit.method == "optimization" and edit.reason.startswith("optimization: no mappers installed")
    assert steps == [1, 2, 3] and edit.w_step.shape == w.shape and edit.w_step.abs().max() > 0


def test_similarity_threshold_is_given_to_the_router_it_builds(small_generator, clip_model):
    assert Editor(small_generator, clip_model).router.similarity_threshold == 0.9
    assert Editor(small_generator, clip_model, similarity_threshold=1.01).router.similarity_threshold == 1.01
