import pytest
import torch

from engine.editing import Edit, apply_edits, render


def _w(g, seed=0):
    return g.broadcast(g.mapping(torch.randn(1, g.w_dim, generator=torch.Generator().manual_seed(seed))))[0]


def _style_step(g, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return tuple(None if layer.is_torgb else torch.randn(layer.channels, generator=gen) for layer in g.style_layers)


def test_edits_compose_in_any_order(small_generator):
    g = small_generator
    w = _w(g)
    w_edit = Edit("mapper", "m", w_step=0.3 * torch.randn(g.num_ws, g.w_dim))
    s_edit = Edit("global_direction", "gd", style_step=_style_step(g), strength=0.5)
    a = render(g, w, [w_edit, s_edit])
    b = render(g, w, [s_edit, w_edit])
    torch.testing.assert_close(a, b)
    # W+ steps go in first, StyleSpace steps on the style vectors of the edited latent
    styles = g.style_vectors(w[None] + w_edit.w_step)
    offsets = [None if d is None else 0.5 * d for d in s_edit.style_step]
    torch.testing.assert_close(a, g.synthesize(w[None] + w_edit.w_step, style_offsets=offsets))
    assert len(apply_edits(g, w, [w_edit])[1]) == len(styles)


def test_rescale_and_drop(small_generator):
    g = small_generator
    w = _w(g)
    step = 0.2 * torch.randn(g.num_ws, g.w_dim)
    edit = Edit("optimization", "o", w_step=step)
    ws, _ = apply_edits(g, w, [edit.rescaled(2.0)])
    torch.testing.assert_close(ws[0], w + 2 * step)
    torch.testing.assert_close(render(g, w, []), g.synthesize(w[None]))
    assert not torch.allclose(render(g, w, [edit]), render(g, w, []))
    assert edit.with_strength(0.0).strength == 0.0
    torch.testing.assert_close(render(g, w, [edit.with_strength(0.0)]), render(g, w, []))


def test_edit_needs_exactly_one_step():
    with pytest.raises(ValueError, match="either"):
        Edit("mapper", "m")
    with pytest.raises(ValueError, match="either"):
        Edit("mapper", "m", w_step=torch.zeros(4, 8), style_step=(None,))
    with pytest.raises(ValueError, match=r"\[num_ws, w_dim\]"):
        Edit("mapper", "m", w_step=torch.zeros(1, 4, 8))


def test_style_step_for_another_generator_is_refused(small_generator):
    edit = Edit("global_direction", "gd", style_step=(None, None))
    with pytest.raises(ValueError, match="layers"):
        render(small_generator, _w(small_generator), [edit])
