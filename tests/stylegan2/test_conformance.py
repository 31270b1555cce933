"""The generator against the numbers of the reference implementation (conformance set 1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

IMAGE_ATOL = 1e-4  # conformance README: images max abs diff 1e-4 (values reach about ±9)
VECTOR_ATOL = 1e-5  # w, style vectors, latent_avg


def max_diff(a: torch.Tensor, b: np.ndarray) -> float:
    return float(np.abs(a.detach().numpy() - b).max())


def test_loaded_latent_avg_is_the_checkpoints(generator, ref):
    assert max_diff(generator.w_avg, ref["latent_avg"]) == 0.0


def test_mapping_z_to_w(generator, ref):
    w = generator.mapping(torch.from_numpy(ref["z"]))
    assert max_diff(w, ref["w"]) < VECTOR_ATOL


def test_images_from_w(generator, ref):
    images = generator.synthesize(generator.broadcast(torch.from_numpy(ref["w"])))
    assert images.shape == (4, 3, 64, 64)
    assert max_diff(images, ref["images_w"]) < IMAGE_ATOL


def test_images_from_z_through_mapping(generator, ref):
    images = generator.synthesize(generator.mapping(torch.from_numpy(ref["z"])))
    assert max_diff(images, ref["images_w"]) < IMAGE_ATOL


def test_images_from_wplus(generator, ref):
    images = generator.synthesize(torch.from_numpy(ref["wplus"]))
    assert max_diff(images, ref["images_wplus"]) < IMAGE_ATOL


def test_truncated_images(generator, ref):
    w = generator.mapping(torch.from_numpy(ref["z"]), truncation_psi=float(ref["truncation"]))
    assert max_diff(generator.synthesize(w), ref["images_trunc"]) < IMAGE_ATOL


def test_stylespace_layer_table(generator, ref):
    layers = generator.style_layers
    assert [layer.level for layer in layers] == ref["style_layer_level"].tolist()
    assert [layer.channels for layer in layers] == ref["style_layer_dim"].tolist()
    assert [int(layer.is_torgb) for layer in layers] == ref["style_layer_is_torgb"].tolist()


def test_style_vectors(generator, ref):
    styles = generator.style_vectors(torch.from_numpy(ref["wplus"]))
    assert len(styles) == 14
    for i, (layer, s) in enumerate(zip(generator.style_layers, styles, strict=True)):
        assert max_diff(s, ref[f"style_{i:02d}_{layer.name}"]) < VECTOR_ATOL, layer.name


@pytest.mark.parametrize("edit", range(3))
def test_stylespace_edit(generator, ref, edit):
    layer, channel, offset = ref["s_edit_spec"][edit]
    offsets: list[torch.Tensor | None] = [None] * len(generator.style_layers)
    delta = torch.zeros(generator.style_layers[int(layer)].channels)
    delta[int(channel)] = float(offset)
    offsets[int(layer)] = delta
    images = generator.synthesize(torch.from_numpy(ref["wplus"]), style_offsets=offsets)
    assert max_diff(images, ref["images_s_edit"][edit]) < IMAGE_ATOL


def test_shared_weight_modulation_matches_reference(generator, ref):
    images = generator.synthesize(torch.from_numpy(ref["wplus"]), fused=False)
    assert max_diff(images, ref["images_wplus"]) < IMAGE_ATOL


def test_style_affines_are_the_maps_style_vectors_apply(generator, ref):
    wplus = torch.from_numpy(ref["wplus"])
    affines = generator.style_affines()
    assert len(affines) == len(generator.style_layers)
    for i, (layer, (a, b)) in enumerate(zip(generator.style_layers, affines, strict=True)):
        assert a.shape == (layer.channels, generator.w_dim) and b.shape == (layer.channels,)
        assert max_diff(wplus[:, layer.level] @ a.T + b, ref[f"style_{i:02d}_{layer.name}"]) < VECTOR_ATOL, layer.name
