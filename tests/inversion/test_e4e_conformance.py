"""The e4e encoder, loaded from the official checkpoint layout, against the `e4e_1024` vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.inversion import EncoderCheckpointError, WPlusEncoder, encoder_from_checkpoint, load_encoder
from tests.manifests import vectors as load_vectors


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    return load_vectors("e4e_1024")


@pytest.fixture(scope="module")
def checkpoint(e4e_state, ref, tmp_path_factory) -> str:
    """An `e4e_ffhq_encode.pt`-shaped file: encoder + (a stand-in) decoder keys, latent_avg, opts."""
    path = tmp_path_factory.mktemp("e4e") / "e4e_ffhq_encode.pt"
    state = dict(e4e_state)
    state["decoder.style.1.weight"] = torch.zeros(2, 2)  # the generator part is ignored
    opts = {"encoder_type": "Encoder4Editing", "stylegan_size": 1024, "start_from_latent_avg": True}
    torch.save({"state_dict": state, "latent_avg": torch.from_numpy(ref["latent_avg"]), "opts": opts}, path)
    return str(path)


@pytest.fixture(scope="module")
def encoder(checkpoint) -> WPlusEncoder:
    return load_encoder(checkpoint)


@pytest.fixture(scope="module")
def reference_pass(encoder, ref) -> dict[str, torch.Tensor]:
    """One forward pass on the reference images, intermediates caught by hooks."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        encoder.encoder.register_forward_hook(lambda m, a, out: seen.__setitem__("codes", out)),
        encoder.encoder.body[20].register_forward_hook(lambda m, a, out: seen.__setitem__("c2", out)),
        encoder.encoder.body[23].register_forward_hook(lambda m, a, out: seen.__setitem__("c3", out)),
    ]
    try:
        with torch.no_grad():
            seen["wplus"] = encoder(torch.from_numpy(ref["images"]))
    finally:
        for hook in hooks:
            hook.remove()
    return seen


@pytest.mark.parametrize("name", ["c2", "c3", "codes", "wplus"])
def test_matches_reference(reference_pass, ref, name):
    actual = reference_pass[name].numpy()
    assert actual.shape == ref[name].shape
    np.testing.assert_allclose(actual, ref[name], atol=1e-4, rtol=1e-4)


def test_output_is_codes_plus_per_level_latent_avg(reference_pass, ref):
    assert reference_pass["wplus"].shape == (2, 18, 512)
    torch.testing.assert_close(
        reference_pass["wplus"], reference_pass["codes"] + torch.from_numpy(ref["latent_avg"]), atol=0, rtol=0
    )


def test_loaded_encoder_is_frozen_and_in_eval(encoder):
    assert encoder.num_ws == 18
    assert not encoder.training and not encoder.encoder.training
    assert not any(p.requires_grad for p in encoder.parameters())


def test_missing_latent_avg_falls_back_to_given_mean_w(e4e_state):
    ckpt = {"state_dict": e4e_state, "opts": {"stylegan_size": 1024}}
    with pytest.raises(EncoderCheckpointError, match="no latent_avg"):
        encoder_from_checkpoint(ckpt)
    mean_w = torch.linspace(-1, 1, 512)
    module = encoder_from_checkpoint(ckpt, latent_avg=mean_w)
    assert torch.equal(module.latent_avg, mean_w.expand(18, 512))


def test_unknown_and_missing_keys_are_named(e4e_state):
    state = {k: v for k, v in e4e_state.items() if k != "encoder.latlayer2.bias"}
    state["encoder.extra.weight"] = torch.zeros(1)
    with pytest.raises(EncoderCheckpointError) as info:
        encoder_from_checkpoint({"state_dict": state, "latent_avg": torch.zeros(18, 512)}, source="e4e.pt")
    message = str(info.value)
    assert "e4e.pt" in message and "latlayer2.bias" in message and "extra.weight" in message


def test_stylegan_size_must_agree_with_the_style_blocks(e4e_state):
    ckpt = {"state_dict": e4e_state, "latent_avg": torch.zeros(18, 512), "opts": {"stylegan_size": 256}}
    with pytest.raises(EncoderCheckpointError, match="stylegan_size 256"):
        encoder_from_checkpoint(ckpt)


def test_other_encoder_types_are_refused(e4e_state):
    opts = {"encoder_type": "GradualStyleEncoder"}
    ckpt = {"state_dict": e4e_state, "latent_avg": torch.zeros(18, 512), "opts": opts}
    with pytest.raises(EncoderCheckpointError, match="GradualStyleEncoder"):
        encoder_from_checkpoint(ckpt)


def test_other_files_are_refused_clearly(checkpoint, tmp_path):
    generator_like = tmp_path / "stylegan2.pt"
    torch.save({"g_ema": {"style.1.weight": torch.zeros(2, 2)}, "latent_avg": torch.zeros(512)}, generator_like)
    with pytest.raises(EncoderCheckpointError, match=r"no 'encoder\.\*' keys"):
        load_encoder(generator_like)
    truncated = tmp_path / "cut.pt"
    with open(checkpoint, "rb") as f:
        truncated.write_bytes(f.read(1_000_000))
    with pytest.raises(EncoderCheckpointError, match="truncated or corrupt"):
        load_encoder(truncated)
    with pytest.raises(EncoderCheckpointError, match="no such file"):
        load_encoder(tmp_path / "absent.pt")


def test_wrong_input_shape_is_refused(encoder):
    with pytest.raises(ValueError, match=r"\[N, 3, 256, 256\]"):
        encoder(torch.zeros(1, 3, 128, 128))
