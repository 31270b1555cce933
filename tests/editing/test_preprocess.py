import json

import numpy as np
import pytest
import torch

from bot.cli import main as cli_main
from engine.editing import DirectionFileError, load_direction_tables, precompute_direction_tables, style_statistics
from engine.editing.preprocess import clip_preprocess


class CountingCLIP(torch.nn.Module):
    """Wraps a CLIP model and counts image batches encoded."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.visual = model.visual
        self.text_projection = model.text_projection
        self.batches = 0

    def encode_image(self, x):
        self.batches += 1
        return self.model.encode_image(x)


@pytest.fixture(scope="module")
def tiny(make_generator):
    return make_generator(w_dim=32, width=4, resolution=16, seed=3)  # 5 manipulated layers × 4 = 20 channels


def test_fs3_row_follows_the_recipe(tiny, clip_model, tmp_path):
    tables = precompute_direction_tables(tiny, clip_model, tmp_path, num_images=3, num_samples=200, chunk_channels=8)
    manipulated = [i for i, layer in enumerate(tiny.style_layers) if not layer.is_torgb]
    assert tables.fs3.shape == (4 * len(manipulated), 32)
    norms = tables.fs3.norm(dim=1)
    assert torch.all((norms - 1).abs() < 1e-5)
    # channel 2 of the second manipulated layer, recomputed by hand: ±5σ images, CLIP, unit difference, mean
    layer, c = manipulated[1], 2
    z = torch.randn(3, 32, generator=torch.Generator().manual_seed(0))
    base = tiny.style_vectors(tiny.mapping(z))
    feats = []
    for sign in (-1, 1):
        styles = [s.clone() for s in base]
        styles[layer][:, c] += sign * 5 * tables.style_std[layer][c]
        f = clip_model.encode_image(clip_preprocess(tiny.synthesize_from_styles(styles), 32))
        feats.append(f / f.norm(dim=-1, keepdim=True))
    diff = torch.nn.functional.normalize(feats[1] - feats[0], dim=-1).mean(0)
    torch.testing.assert_close(tables.fs3[4 + c], diff / diff.norm(), atol=1e-5, rtol=1e-4)


def test_interrupted_run_resumes_and_matches(tiny, clip_model, tmp_path):
    full = precompute_direction_tables(
        tiny, clip_model, tmp_path / "a", num_images=2, num_samples=100, chunk_channels=3
    )

    def stop_after_three_chunks(done, total):  # chunks of 3, 1, 3 channels (4 per layer)
        if done >= 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        precompute_direction_tables(
            tiny,
            clip_model,
            tmp_path / "b",
            num_images=2,
            num_samples=100,
            chunk_channels=3,
            progress=stop_after_three_chunks,
        )
    assert not (tmp_path / "b" / "fs3.npy").exists()
    counting = CountingCLIP(clip_model)
    seen = []
    resumed = precompute_direction_tables(
        tiny,
        counting,
        tmp_path / "b",
        num_images=2,
        num_samples=100,
        chunk_channels=3,
        batch_size=4,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert counting.batches == 20 - 7  # one batch of 2×2 images per channel not yet done
    assert seen[-1] == (20, 20) and seen[0] == (3, 20)
    torch.testing.assert_close(resumed.fs3, full.fs3)
    for a, b in zip(resumed.style_std, full.style_std, strict=True):
        torch.testing.assert_close(a, b)
    with pytest.raises(DirectionFileError, match="num_images"):
        precompute_direction_tables(tiny, clip_model, tmp_path / "b", num_images=5, num_samples=100, chunk_channels=3)


def test_directions_command(tiny, clip_model, tmp_path, capsys):
    ckpt, clip_file = tmp_path / "g.pt", tmp_path / "clip.pt"
    torch.save({"g_ema": tiny.state_dict(), "latent_avg": tiny.w_avg.clone()}, ckpt)
    torch.save(clip_model.state_dict(), clip_file)
    out = tmp_path / "tables"
    code = cli_main(
        [
            "directions",
            str(ckpt),
            str(clip_file),
            "--out",
            str(out),
            "--images",
            "1",
            "--samples",
            "50",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    assert "20 channels × 32" in capsys.readouterr().out
    recipe = json.loads((out / "settings.json").read_text())["statistics"]
    assert recipe == {
        "reference": "StyleCLIP global_torch/manipulate.py GenerateS + GetCodeMS",
        "seed": 5,
        "truncation_psi": 0.7,
        "truncation_cutoff": 8,
        "num_samples": 50,
    }
    tables = load_direction_tables(out / "fs3.npy", out / "S_mean_std")
    expected_means, expected_stds = style_statistics(tiny, 50)
    for got, want in zip(tables.style_mean + tables.style_std, expected_means + expected_stds, strict=True):
        torch.testing.assert_close(got, want)
    assert tables.fs3.shape == (20, 32) and np.isfinite(tables.fs3.numpy()).all()
    assert cli_main(["directions", str(tmp_path / "none.pt"), str(clip_file), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().out
    assert cli_main(["directions", str(ckpt), str(clip_file), "--out", str(out), "--images", "0"]) == 2


def test_run_from_before_the_recipe_is_refused(tiny, clip_model, tmp_path):
    """A folder whose settings predate the recorded statistics recipe holds untruncated statistics."""
    precompute_direction_tables(tiny, clip_model, tmp_path, num_images=1, num_samples=20, chunk_channels=20)
    settings = json.loads((tmp_path / "settings.json").read_text())
    del settings["statistics"]
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    with pytest.raises(DirectionFileError, match="statistics"):
        precompute_direction_tables(tiny, clip_model, tmp_path, num_images=1, num_samples=20, chunk_channels=20)
