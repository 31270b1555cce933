import clip
import pytest
import torch
from clip.model import CLIP
from torch import nn

from engine.editing import CLIPLoss, PromptError, TextEncoder, clip_image_input, load_clip
from engine.editing.text import encode_text, encode_tokens


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


def test_short_context_embeddings_equal_the_77_token_ones():
    """The text tower is causal and read at the end-of-text token: cutting the padding changes nothing."""
    torch.manual_seed(1)
    model = CLIP(embed_dim=32, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=8,
                 context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=4,
                 transformer_layers=3).float().eval().requires_grad_(False)
    with torch.no_grad():  # CLIP initialises positional embeddings small; make every position count
        model.positional_embedding.normal_(std=0.5)
    texts = ["face", "a photo of a face with curly hair.", "a bad photo of the " + "very " * 20 + "old face."]
    tokens = clip.tokenize(texts)
    assert int(tokens.argmax(-1).max()) + 1 < 77          # the batch really is shorter than the context
    with torch.no_grad():
        full = model.encode_text(tokens)                  # CLIP's own forward over all 77 positions
        short = encode_tokens(model, tokens)
        alone = encode_tokens(model, tokens[:1])          # a batch of one short sentence: 3 positions
    torch.testing.assert_close(short, full, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(alone, full[:1], rtol=1e-5, atol=1e-5)
    assert (full[0] - full[1]).abs().max() > 1e-2         # the sentences differ, so equality means something


def test_short_context_is_the_path_taken_for_clip(monkeypatch, clip_model):
    def refuse(tokens):
        raise AssertionError("the 77-token forward ran")

    monkeypatch.setattr(clip_model, "encode_text", refuse)
    assert encode_text(clip_model, ["face", "smiling face"]).shape == (2, 32)


def test_a_model_without_the_causal_mask_keeps_its_own_forward(bow_clip):
    encode_text(bow_clip, ["face"])
    assert bow_clip.calls == 1


def test_the_neutral_text_is_embedded_once_at_load(bow_clip, stylegan2_64):
    from engine.editing import DirectionTables, Editor

    tables = DirectionTables(torch.eye(4, 512), [torch.zeros(4)], [torch.ones(4)], [False])
    editor = Editor(stylegan2_64, bow_clip, tables=tables)
    editor.warm_up()
    assert bow_clip.calls == 1
    editor.text.direction("face with curly hair", "face")
    editor.text.direction("face with a beard", "face")
    assert bow_clip.calls == 3                            # one per new prompt; the neutral came from the cache
