"""StyleSpace statistics computed as StyleCLIP's PyTorch global directions compute them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.editing import style_statistics
from engine.editing.preprocess import (
    STATISTICS_SEED,
    TRUNCATION_CUTOFF,
    TRUNCATION_PSI,
    style_statistics_from_w,
    w_statistics,
)
from tests.manifests import vectors


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    """Reference numbers for the stylegan2_64 conformance generator.

    Made by orpatashnik/StyleCLIP commit f87a47f7fc39e19a1f6c88293875692b303bf168, `global_torch/manipulate.py`
    `Manipulator.GenerateS(num_img=2000)` then `GetCodeMS()` (the calls `global_torch/StyleCLIP.py` makes,
    with 100_000), on its own generator class `global_torch/training/networks.py` built at 64 px and given the
    mapping and affine weights and `w_avg` of stylegan2_64 (tests/data/make_style_statistics_64.py).
    `mean_NN`/`std_NN` are its float32 numpy results; `*_f64_NN` the same style vectors reduced in float64.
    """
    return vectors("style_statistics_64")


def test_matches_styleclip_reference(stylegan2_64, reference):
    num_samples = int(reference["num_samples"])
    means, stds = style_statistics(stylegan2_64, num_samples)
    names = [layer.name for layer in stylegan2_64.style_layers]
    assert names == reference["layer_names"].tolist()
    for i, (mean, std) in enumerate(zip(means, stds, strict=True)):
        # float64 reductions of the reference's style vectors: only float32 rounding apart
        np.testing.assert_allclose(mean, reference[f"mean_f64_{i:02d}"], atol=1e-6, rtol=1e-6, err_msg=names[i])
        np.testing.assert_allclose(std, reference[f"std_f64_{i:02d}"], atol=1e-6, rtol=1e-6, err_msg=names[i])
        # the reference's own float32 numpy means and stds (their sums lose about 5e-6 over 2000 samples)
        np.testing.assert_allclose(mean, reference[f"mean_{i:02d}"], atol=5e-5, rtol=0, err_msg=names[i])
        np.testing.assert_allclose(std, reference[f"std_{i:02d}"], atol=5e-6, rtol=0, err_msg=names[i])


def test_reference_tells_the_recipes_apart(stylegan2_64, reference):
    """Negative controls: without truncation, or truncating every layer (TensorFlow's GetCode.py), the
    stds are off by the factor ψ exactly where the recipes differ."""
    mean_w, cov_w = w_statistics(stylegan2_64, int(reference["num_samples"]))
    _, untruncated = style_statistics_from_w(stylegan2_64, mean_w, cov_w, truncation_psi=1.0)
    _, every_layer = style_statistics_from_w(stylegan2_64, mean_w, cov_w, truncation_cutoff=stylegan2_64.num_ws)
    for i, layer in enumerate(stylegan2_64.style_layers):
        ref = reference[f"std_f64_{i:02d}"]
        if layer.level < TRUNCATION_CUTOFF:
            np.testing.assert_allclose(untruncated[i] * TRUNCATION_PSI, ref, rtol=1e-5)
            np.testing.assert_allclose(every_layer[i], ref, rtol=1e-5)
        else:  # conv1_resolution_64 and toRGB_resolution_64 read w layers 8 and 9
            np.testing.assert_allclose(untruncated[i], ref, rtol=1e-5)
            np.testing.assert_allclose(every_layer[i], ref * TRUNCATION_PSI, rtol=1e-5)


@pytest.fixture()
def offset_generator(make_generator):
    """64 px (10 w layers, so the cutoff at 8 splits them), w_avg away from the mean of w."""
    g = make_generator(w_dim=32, width=4, resolution=64, seed=7)
    g.w_avg.add_(torch.linspace(-1, 1, 32))
    return g


def test_follows_the_recipe_sample_by_sample(offset_generator):
    g = offset_generator
    z = np.random.RandomState(STATISTICS_SEED).randn(300, g.w_dim)
    ws = g.broadcast(g.mapping(torch.from_numpy(z).float()))
    ws[:, :TRUNCATION_CUTOFF] = torch.lerp(g.w_avg, ws[:, :TRUNCATION_CUTOFF], TRUNCATION_PSI)
    styles = [s.double().numpy() for s in g.style_vectors(ws)]
    means, stds = style_statistics(g, 300, batch_size=128)
    assert len(means) == len(stds) == len(g.style_layers) == 14
    for mean, std, s in zip(means, stds, styles, strict=True):
        np.testing.assert_allclose(mean, s.mean(0), atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(std, s.std(0), atol=1e-6, rtol=1e-5)
        assert mean.dtype == std.dtype == torch.float32


def test_batches_and_progress(offset_generator):
    seen = []
    means, stds = style_statistics(
        offset_generator, 50, progress=lambda done, total: seen.append((done, total)), batch_size=16
    )
    assert seen == [(16, 50), (32, 50), (48, 50), (50, 50)]
    whole_means, whole_stds = style_statistics(offset_generator, 50, batch_size=50)
    for a, b in zip(means + stds, whole_means + whole_stds, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_needs_samples(offset_generator):
    with pytest.raises(ValueError, match="num_samples"):
        style_statistics(offset_generator, 0)
