"""Loading rosinality-format checkpoints: shapes inferred, keys checked strictly, bad files named."""

from __future__ import annotations

import pytest
import torch

from engine.stylegan2 import (
    CheckpointError,
    Generator,
    GeneratorConfig,
    generator_from_state_dict,
    infer_config,
    load_generator,
)


def meta_state(config: GeneratorConfig) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        return Generator(config).state_dict()


@pytest.mark.parametrize("resolution", [256, 512, 1024])
def test_infers_official_configs(resolution):
    config = GeneratorConfig.standard(resolution, channel_multiplier=2)
    assert infer_config(meta_state(config)) == config


def test_ffhq_1024_layout():
    with torch.device("meta"):
        g = Generator(GeneratorConfig.standard(1024))
    assert g.num_ws == 18
    assert len(g.style_layers) == 26
    assert sum(layer.channels for layer in g.style_layers) == 9088
    assert sum(layer.is_torgb for layer in g.style_layers) == 9
    assert g.style_layers[-1].name == "toRGB_resolution_1024"


def test_infers_small_test_config(g_ema_state):
    config = infer_config(g_ema_state)
    assert config.img_resolution == 64
    assert config.channels == {4: 512, 8: 512, 16: 512, 32: 512, 64: 256}
    assert (config.w_dim, config.n_mlp) == (512, 8)


def test_loaded_generator_is_frozen_for_inference(generator):
    assert not generator.training
    assert not any(p.requires_grad for p in generator.parameters())


def save(path, state, **extra):
    torch.save({"g_ema": state, **extra}, path)
    return path


def test_missing_key_is_named(tmp_path, g_ema_state):
    state = dict(g_ema_state)
    del state["convs.3.noise.weight"]
    path = save(tmp_path / "missing.pt", state)
    with pytest.raises(CheckpointError, match=r"missing keys: convs\.3\.noise\.weight") as info:
        load_generator(path)
    assert str(path) in str(info.value)


def test_unexpected_key_is_named(tmp_path, g_ema_state):
    path = save(tmp_path / "extra.pt", {**g_ema_state, "convs.3.bogus": torch.zeros(1)})
    with pytest.raises(CheckpointError, match=r"unexpected keys: convs\.3\.bogus"):
        load_generator(path)


def test_wrong_shape_is_named(tmp_path, g_ema_state):
    path = save(tmp_path / "shape.pt", {**g_ema_state, "to_rgb1.bias": torch.zeros(1, 4, 1, 1)})
    with pytest.raises(CheckpointError, match=r"to_rgb1\.bias \[1, 4, 1, 1\] \(expected \[1, 3, 1, 1\]\)"):
        load_generator(path)


def test_truncated_file(tmp_path, checkpoint_path):
    data = checkpoint_path.read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_generator(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_generator(tmp_path / "nope.pt")


def test_not_a_generator_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"encoder.x": torch.zeros(1)}}, path)
    with pytest.raises(CheckpointError, match="no 'g_ema' entry"):
        load_generator(path)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "code.pt"
    torch.save({"g_ema": {}, "hook": print}, path)
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_generator(path)


def test_training_checkpoint_with_args_loads(tmp_path, g_ema_state, ref):
    import argparse

    path = save(tmp_path / "train.pt", g_ema_state, latent_avg=torch.from_numpy(ref["latent_avg"]),
                args=argparse.Namespace(size=64, channel_multiplier=1))
    assert load_generator(path).img_resolution == 64


def test_without_latent_avg_w_avg_is_the_mapping_mean(g_ema_state, generator):
    g = generator_from_state_dict(g_ema_state)
    expected = g.style(torch.randn(4096, 512, generator=torch.Generator().manual_seed(1234))).mean(0)
    torch.testing.assert_close(g.w_avg, expected)
    # The mean over 4096 samples lies near the reference's latent_avg (another 4096 samples).
    assert torch.nn.functional.cosine_similarity(g.w_avg, generator.w_avg, dim=0) > 0.99
