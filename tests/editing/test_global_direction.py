import pickle

import clip
import numpy as np
import pytest
import torch

from engine.editing import (
    IMAGENET_TEMPLATES,
    DirectionFileError,
    direction_offsets,
    global_direction,
    global_direction_edit,
    load_direction_tables,
    load_fs3,
    load_style_statistics,
    render,
    save_style_statistics,
    standard_torgb_pattern,
    text_direction,
)


@pytest.fixture(scope="module")
def ref(data_dir):
    return dict(np.load(data_dir / "global_direction.npz"))


def fs3_recipe(n: int) -> np.ndarray:
    """The conformance README's fs3: default_rng(10) normal rows, each divided by its L2 norm, float32."""
    x = np.random.default_rng(10).standard_normal((n, 512))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def split(flat: np.ndarray, dims) -> list[np.ndarray]:
    return np.split(flat, np.cumsum(dims)[:-1])


@pytest.fixture(scope="module")
def fs3_1024(ref):
    fs3 = fs3_recipe(int(ref["l1024_dims"][~np.array(standard_torgb_pattern(26))].sum()))
    np.testing.assert_allclose(fs3 @ ref["dt_random"], ref["l1024_fs3_dot_dt"], atol=1e-6)
    return fs3


def test_layouts_match_the_standard_torgb_pattern(ref):
    for layout, n in (("l64", 14), ("l1024", 26)):
        manipulated = [i for i, rgb in enumerate(standard_torgb_pattern(n)) if not rgb]
        assert manipulated == list(ref[f"{layout}_mindexs"])


@pytest.mark.parametrize("layout", ["l64", "l1024"])
def test_boundaries_match_the_reference(ref, fs3_1024, layout):
    dims = ref[f"{layout}_dims"]
    std = split(ref[f"{layout}_code_std"], dims)
    fs3 = fs3_1024[: int(dims[~np.array(standard_torgb_pattern(len(dims)))].sum())]
    for k, (alpha, beta) in enumerate(ref["pairs_alpha_beta"]):
        offsets = global_direction(fs3, std, ref["dt_random"], float(alpha), float(beta))
        if ref[f"{layout}_num_c"][k] == 0:
            # The reference divides by zero here (NaN boundary); we report "no direction".
            assert offsets is None
            assert np.isnan(ref[f"{layout}_boundary"][k]).any()
            continue
        unit = direction_offsets(fs3, std, ref["dt_random"], float(beta))
        np.testing.assert_allclose(torch.cat(unit).numpy(), ref[f"{layout}_boundary"][k], atol=1e-6, rtol=0)
        np.testing.assert_allclose(torch.cat(offsets).numpy(), alpha * ref[f"{layout}_boundary"][k], atol=1e-6)
        moved = int(sum(torch.count_nonzero(o) for o in unit))
        assert moved == ref[f"{layout}_num_c"][k]


def test_edited_codes_and_images_match_the_reference(ref, fs3_1024, stylegan2_64):
    dims = ref["l64_dims"]
    std = split(ref["l64_code_std"], dims)
    s_in = [torch.from_numpy(s) for s in np.split(ref["l64_s_in"], np.cumsum(dims)[:-1], axis=1)]
    wplus = torch.from_numpy(np.load(stylegan2_64_npz())["wplus"])
    for s_ours, s_ref in zip(stylegan2_64.style_vectors(wplus), s_in, strict=True):
        torch.testing.assert_close(s_ours, s_ref, atol=1e-5, rtol=1e-5)
    batch = []
    for k in range(4):   # pair 4 selects no channel (covered above)
        alpha, beta = (float(v) for v in ref["pairs_alpha_beta"][k])
        offsets = global_direction(fs3_1024[:4352], std, ref["dt_random"], alpha, beta)
        edited = [s + o for s, o in zip(s_in, offsets, strict=True)]
        np.testing.assert_allclose(torch.cat(edited, 1).numpy(), ref["l64_s_edited"][k], atol=1e-5, rtol=1e-6)
        batch.append(edited)
    styles = [torch.cat(layer) for layer in zip(*batch, strict=True)]   # the 4 pairs as one batch of 8
    images = stylegan2_64.synthesize_from_styles(styles, noise_mode="const")
    np.testing.assert_allclose(images.numpy(), ref["l64_images"][:4].reshape(8, 3, 64, 64), atol=1e-4)


def stylegan2_64_npz():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "data" / "stylegan2_64.npz"


class StoredTextTower(torch.nn.Module):
    """Returns the stored text embeddings, one class per call, and checks it got the 79 templates."""

    context_length = 77

    def __init__(self, embeddings: np.ndarray, classes: list[str]) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
        self.queue = list(zip(classes, embeddings, strict=True))

    def encode_text(self, tokens):
        name, emb = self.queue.pop(0)
        assert torch.equal(tokens, clip.tokenize([t.format(name) for t in IMAGENET_TEMPLATES]))
        return torch.from_numpy(emb)


def test_text_direction_matches_reference(ref):
    assert len(IMAGENET_TEMPLATES) == int(ref["n_templates"]) == len(set(IMAGENET_TEMPLATES))
    tower = StoredTextTower(ref["text_embeddings"], ["face with curly hair", "face"])
    dt = text_direction(tower, "face with curly hair", "face")
    np.testing.assert_allclose(dt.numpy(), ref["dt"], atol=1e-6)
    assert dt.norm().item() == pytest.approx(1.0, abs=1e-6)


def test_alpha_zero_changes_nothing_and_alpha_scales_the_step(small_generator):
    g = small_generator
    torch.manual_seed(0)
    stds = [torch.rand(layer.channels) + 0.1 for layer in g.style_layers]
    rows = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    fs3 = torch.nn.functional.normalize(torch.randn(rows, 32), dim=1)
    dt = torch.nn.functional.normalize(torch.randn(32), dim=0)
    w = g.broadcast(g.mapping(torch.randn(1, g.w_dim)))[0]

    zero = global_direction(fs3, stds, dt, alpha=0.0, beta=0.1)
    torch.testing.assert_close(g.synthesize(w[None], style_offsets=zero), g.synthesize(w[None]))
    one = global_direction(fs3, stds, dt, alpha=1.0, beta=0.1)
    three = global_direction(fs3, stds, dt, alpha=3.0, beta=0.1)
    for a, b, layer in zip(one, three, g.style_layers, strict=True):
        torch.testing.assert_close(b, 3 * a)
        if layer.is_torgb:
            assert torch.count_nonzero(a) == 0
    assert max(float(o.abs().max() / s.max()) for o, s in zip(one, stds, strict=True)) <= 1.0 + 1e-6

    edit = global_direction_edit(g, w, direction_offsets(fs3, stds, dt, 0.1), strength=2.0, reason="gd")
    assert edit.space == "s"
    doubled = render(g, w, [edit.rescaled(1.5)])
    torch.testing.assert_close(doubled, g.synthesize(w[None], style_offsets=global_direction(fs3, stds, dt, 3.0, 0.1)))
    assert not torch.allclose(doubled, g.synthesize(w[None]))


def test_no_channel_passing_beta_is_no_direction():
    fs3 = torch.eye(4, 8)
    dt = torch.nn.functional.normalize(torch.ones(8), dim=0)     # |fs3·dt| = 0.35 for every row
    stds = [torch.ones(2), torch.ones(3), torch.ones(2)]          # layers 0 and 2 are manipulated (4 rows)
    assert global_direction(fs3, stds, dt, alpha=5.0, beta=0.5) is None
    offsets = global_direction(fs3, stds, dt, alpha=5.0, beta=0.3)
    assert all(torch.isfinite(o).all() for o in offsets)
    torch.testing.assert_close(offsets[1], torch.zeros(3))


def test_fs3_from_another_layout_is_refused():
    with pytest.raises(ValueError, match="another generator layout"):
        global_direction(torch.zeros(5, 8), [torch.ones(2), torch.ones(3), torch.ones(2)], torch.ones(8), 1, 0.1)


def test_official_file_formats_round_trip(tmp_path):
    means = [torch.randn(4), torch.randn(3), torch.randn(4)]
    stds = [torch.rand(4), torch.rand(3), torch.rand(4)]
    save_style_statistics(tmp_path / "S_mean_std", means, stds)
    np.save(tmp_path / "fs3.npy", np.ones((8, 16), dtype=np.float32))
    tables = load_direction_tables(tmp_path / "fs3.npy", tmp_path / "S_mean_std")
    assert tables.fs3.shape == (8, 16) and tables.is_torgb == [False, True, False]
    for a, b in zip(tables.style_std, stds, strict=True):
        torch.testing.assert_close(a, b)
    # StyleCLIP's own pickles hold float64 arrays shaped [1, C]: read those too.
    with open(tmp_path / "S64", "wb") as f:
        pickle.dump(([m.double().numpy()[None] for m in means], [s.double().numpy()[None] for s in stds]), f)
    _, stds64 = load_style_statistics(tmp_path / "S64")
    torch.testing.assert_close(stds64[1], stds[1])


def test_bad_direction_files(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("side effect",))

    (tmp_path / "S_mean_std").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(DirectionFileError, match=r"refusing to load builtins\.print"):
        load_style_statistics(tmp_path / "S_mean_std")
    np.save(tmp_path / "fs3.npy", np.ones(3, dtype=np.float32))
    with pytest.raises(DirectionFileError, match="2-D"):
        load_fs3(tmp_path / "fs3.npy")
    with pytest.raises(DirectionFileError, match="no such"):
        load_fs3(tmp_path / "missing.npy")
    layers = [torch.ones(4), torch.ones(3), torch.ones(4)]
    save_style_statistics(tmp_path / "S", layers, layers)
    np.save(tmp_path / "fs3.npy", np.ones((9, 16), dtype=np.float32))
    with pytest.raises(DirectionFileError, match="9 rows"):
        load_direction_tables(tmp_path / "fs3.npy", tmp_path / "S")
