import pytest
import torch
from torch import nn

from engine.editing import CLIPLoss, PromptError, TextEncoder, clip_image_input, load_clip


def test_image_side_is_styleclips_upsample_then_pool():
    images = torch.randn(1, 3, 256, 256)
    expected = nn.AvgPool2d(256 // 32)(nn.Upsample(scale_factor=7)(images))
    out = clip_image_input(images, 224)
    assert out.shape == (1, 3, 224, 224)
    torch.testing.assert_close(out, expected)
    with pytest.raises(ValueError, match="cannot be pooled"):
        clip_image_input(torch.zeros(1, 3, 48, 48), 224)


def test_clip_loss_is_one_minus_cosine(clip_model):
    loss = CLIPLoss(clip_model)
    images = torch.randn(2, 3, 32, 32)
    text = TextEncoder(clip_model).plain("a face with curly hair")
    features = clip_model.encode_image(clip_image_input(images, 32))
    cos = torch.nn.functional.cosine_similarity(features, text[None], dim=1)
    torch.testing.assert_close(loss(images, text), 1 - cos)
    # an image scored against its own embedding has zero loss
    own = loss.image_features(images[:1])[0]
    assert loss(images[:1], own).item() == pytest.approx(0.0, abs=1e-6)


def test_text_embeddings_are_cached(bow_clip):
    encoder = TextEncoder(bow_clip)
    a = encoder.direction("face with curly hair", "face")
    calls = bow_clip.calls
    b = encoder.direction("face with curly hair ", "face")
    assert bow_clip.calls == calls == 2   # one batched call of 79 templates per prompt, none the second time
    torch.testing.assert_close(a, b)
    assert a.norm().item() == pytest.approx(1.0, abs=1e-6)


def test_bad_prompts_are_friendly_errors(bow_clip):
    encoder = TextEncoder(bow_clip)
    with pytest.raises(PromptError, match="empty"):
        encoder.plain("   ")
    with pytest.raises(PromptError, match="too long"):
        encoder.plain("curly " * 100)


def test_load_clip_from_a_state_dict_file(tmp_path, clip_model):
    path = tmp_path / "tiny-clip.pt"
    torch.save(clip_model.state_dict(), path)
    loaded = load_clip(path)
    assert loaded.visual.input_resolution == 32 and next(loaded.parameters()).dtype == torch.float32
    tokens = torch.zeros(1, 77, dtype=torch.long)
    tokens[0, :2] = torch.tensor([49406, 49407])
    torch.testing.assert_close(loaded.encode_text(tokens), clip_model.encode_text(tokens), atol=2e-3, rtol=2e-3)
    with pytest.raises(FileNotFoundError, match="no such CLIP model file"):
        load_clip(tmp_path / "missing.pt")
