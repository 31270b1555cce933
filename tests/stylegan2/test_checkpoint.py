"""Loading rosinality-format and e4e checkpoints: shapes inferred, keys checked strictly, bad files named."""

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
    load_generator_from_e4e,
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


def save_e4e(path, g_ema_state, latent_avg, **opts):
    """An `e4e_ffhq_encode.pt`-shaped file: a stand-in encoder, the generator as `decoder.*`, latent_avg, opts."""
    state = {"encoder.input_layer.0.weight": torch.zeros(64, 3, 3, 3)}
    state.update({f"decoder.{k}": v for k, v in g_ema_state.items()})
    opts = {"encoder_type": "Encoder4Editing", "stylegan_size": 64, "start_from_latent_avg": True, **opts}
    torch.save({"state_dict": state, "latent_avg": latent_avg, "opts": opts}, path)
    return path


@pytest.fixture(scope="module")
def per_level_latent_avg(ref):
    """What e4e saves: the generator's mean w repeated once per W+ level (10 at 64 px)."""
    return torch.from_numpy(ref["latent_avg"]).repeat(10, 1)


def test_generator_from_e4e_renders_as_the_rosinality_one(tmp_path, g_ema_state, per_level_latent_avg, ref, generator):
    from_e4e = load_generator_from_e4e(save_e4e(tmp_path / "e4e.pt", g_ema_state, per_level_latent_avg))
    assert not from_e4e.training and not any(p.requires_grad for p in from_e4e.parameters())
    assert torch.equal(from_e4e.w_avg, generator.w_avg)
    z = torch.from_numpy(ref["z"])
    for psi in (1.0, 0.7):
        torch.testing.assert_close(from_e4e.mapping(z, psi), generator.mapping(z, psi), atol=0, rtol=0)
    wplus = torch.from_numpy(ref["wplus"])
    torch.testing.assert_close(from_e4e.synthesize(wplus), generator.synthesize(wplus), atol=0, rtol=0)


def test_generator_from_e4e_takes_a_single_mean_w_too(tmp_path, g_ema_state, ref, generator):
    path = save_e4e(tmp_path / "e4e.pt", g_ema_state, torch.from_numpy(ref["latent_avg"]))
    assert torch.equal(load_generator_from_e4e(path).w_avg, generator.w_avg)


def test_e4e_latent_avg_must_be_one_mean_w_per_level(tmp_path, g_ema_state, per_level_latent_avg):
    differing = per_level_latent_avg.clone()
    differing[3] += 1
    with pytest.raises(CheckpointError, match=r"\(decoder\.\*\): latent_avg rows differ"):
        load_generator_from_e4e(save_e4e(tmp_path / "differ.pt", g_ema_state, differing))
    with pytest.raises(CheckpointError, match="latent_avg has 18 rows but the generator has 10 W\\+ levels"):
        load_generator_from_e4e(save_e4e(tmp_path / "rows.pt", g_ema_state, per_level_latent_avg[:1].repeat(18, 1)))


def test_e4e_decoder_is_loaded_strictly(tmp_path, g_ema_state, per_level_latent_avg):
    state = {k: v for k, v in g_ema_state.items() if k != "convs.3.noise.weight"}
    path = save_e4e(tmp_path / "e4e.pt", state, per_level_latent_avg)
    with pytest.raises(CheckpointError, match=r"missing keys: convs\.3\.noise\.weight") as info:
        load_generator_from_e4e(path)
    assert f"{path} (decoder.*)" in str(info.value)


def test_e4e_opts_must_agree_with_the_decoder(tmp_path, g_ema_state, per_level_latent_avg):
    path = save_e4e(tmp_path / "e4e.pt", g_ema_state, per_level_latent_avg, stylegan_size=1024)
    with pytest.raises(CheckpointError, match="stylegan_size 1024 but the decoder is a 64 px generator"):
        load_generator_from_e4e(path)


def test_other_files_are_not_taken_for_e4e(tmp_path, checkpoint_path):
    with pytest.raises(CheckpointError, match="no 'state_dict' entry; expected an e4e checkpoint"):
        load_generator_from_e4e(checkpoint_path)
    mapper_like = tmp_path / "mapper.pt"
    torch.save({"state_dict": {"mapper.course_mapping.mapping.1.weight": torch.zeros(2, 2)}}, mapper_like)
    with pytest.raises(CheckpointError, match=r"no 'decoder\.\*' keys \(found e\.g\. mapper\.course"):
        load_generator_from_e4e(mapper_like)
    with pytest.raises(CheckpointError, match="no such file"):
        load_generator_from_e4e(tmp_path / "absent.pt")
