"""Generator behaviour beyond the reference vectors: previews, noise, offsets, shape checks."""

from __future__ import annotations

import pytest
import torch

from engine.stylegan2 import generator_from_state_dict


def test_preview_equals_the_smaller_generator_made_of_the_same_layers(generator, g_ema_state, ref):
    # The 32 px generator with the first layers of the 64 px one renders exactly its skip output.
    dropped = ("convs.6.", "convs.7.", "to_rgbs.3.", "noises.noise_7", "noises.noise_8")
    state = {k: v for k, v in g_ema_state.items() if not k.startswith(dropped)}
    small = generator_from_state_dict(state, generator.w_avg)
    ws = torch.from_numpy(ref["wplus"])
    preview = generator.preview(ws, resolution=32)
    assert preview.shape == (2, 3, 32, 32)
    torch.testing.assert_close(preview, small.synthesize(ws[:, : small.num_ws]), rtol=0, atol=1e-5)


def test_preview_resolution_is_checked(generator, ref):
    with pytest.raises(ValueError, match="power of two"):
        generator.preview(torch.from_numpy(ref["wplus"]), resolution=48)
    with pytest.raises(ValueError, match="power of two"):
        generator.preview(torch.from_numpy(ref["wplus"]), resolution=128)


def test_noise_modes(generator, ref):
    ws = torch.from_numpy(ref["wplus"])
    const = generator.synthesize(ws)
    torch.testing.assert_close(generator.synthesize(ws), const, rtol=0, atol=0)
    torch.manual_seed(0)
    random_a = generator.synthesize(ws, noise_mode="random")
    random_b = generator.synthesize(ws, noise_mode="random")
    assert (random_a - random_b).abs().max() > 1e-3
    assert (generator.synthesize(ws, noise_mode="none") - const).abs().max() > 1e-3
    with pytest.raises(ValueError, match="noise_mode"):
        generator.synthesize(ws, noise_mode="loud")


def test_zero_offsets_change_nothing(generator, ref):
    ws = torch.from_numpy(ref["wplus"])
    offsets = [torch.zeros(layer.channels) for layer in generator.style_layers]
    torch.testing.assert_close(generator.synthesize(ws, style_offsets=offsets), generator.synthesize(ws))


def test_per_sample_offsets_apply_to_their_sample_only(generator, ref):
    ws = torch.from_numpy(ref["wplus"])
    offsets: list[torch.Tensor | None] = [None] * len(generator.style_layers)
    delta = torch.zeros(2, generator.style_layers[6].channels)
    delta[1, 100] = 5.0
    offsets[6] = delta
    edited, plain = generator.synthesize(ws, style_offsets=offsets), generator.synthesize(ws)
    torch.testing.assert_close(edited[0], plain[0])
    assert (edited[1] - plain[1]).abs().max() > 1e-2


def test_offsets_are_checked(generator, ref):
    ws = torch.from_numpy(ref["wplus"])
    with pytest.raises(ValueError, match="expected 14 style offsets"):
        generator.synthesize(ws, style_offsets=[None])
    bad: list[torch.Tensor | None] = [None] * 14
    bad[12] = torch.zeros(512)
    with pytest.raises(ValueError, match="style offset 12 has 512 channels, layer has 256"):
        generator.synthesize(ws, style_offsets=bad)


def test_latent_shapes_are_checked(generator):
    with pytest.raises(ValueError, match=r"ws must have shape \[N, 10, 512\]"):
        generator.synthesize(torch.zeros(1, 18, 512))
    with pytest.raises(ValueError, match=r"z must have shape \[N, 512\]"):
        generator.mapping(torch.zeros(1, 256))


def test_truncation_pulls_toward_the_average(generator, ref):
    z = torch.from_numpy(ref["z"])
    w = generator.mapping(z)
    torch.testing.assert_close(generator.mapping(z, truncation_psi=0.0), generator.w_avg.expand_as(w))
    half = generator.mapping(z, truncation_psi=0.5)
    torch.testing.assert_close(half, (w + generator.w_avg) / 2)


def test_gradients_reach_the_latent(generator, ref):
    ws = torch.from_numpy(ref["wplus"]).clone().requires_grad_(True)
    generator.synthesize(ws).square().mean().backward()
    assert ws.grad is not None and ws.grad.abs().sum() > 0
