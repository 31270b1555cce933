"""CLIP on both sides of StyleCLIP: loading, prompt embeddings (cached) and the image-text loss.

CLIP (Radford et al. 2021, arXiv 2103.00020) through OpenAI's `clip` package (PyPI `clip-anytorch`).
The image side follows StyleCLIP's `criteria/clip_loss.py`: generator output upsampled ×7 and
average-pooled to CLIP's input size, no CLIP mean/std normalisation; loss = 1 − cosine.
The text side of global directions follows StyleCLIP's `global_torch/StyleCLIP.py` (`zeroshot_classifier`,
`GetDt`): 79 ImageNet prompt templates, each embedding normalised, averaged, renormalised.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import PromptError

# The prompt ensemble of StyleCLIP's global directions: CLIP's ImageNet templates minus
# "a photo of many {}." (commented out there), in the same order.
IMAGENET_TEMPLATES: tuple[str, ...] = (
    "a bad photo of a {}.",
    "a sculpture of a {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "graffiti of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a tattoo of a {}.",
    "the embroidered {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "the plastic {}.",
    "a photo of the cool {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a sculpture of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a plastic {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "itap of the {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a plushie {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "the plushie {}.",
    "a dark photo of a {}.",
    "itap of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "itap of my {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
    "a tattoo of the {}.",
)


def load_clip(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Load OpenAI CLIP weights from a local file (e.g. `ViT-B-32.pt`, a TorchScript archive or a
    state dict), as a plain float32 module in eval mode without gradients.

    Raises:
        FileNotFoundError: no such file.
    """
    import clip

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CLIP model file")
    model, _ = clip.load(str(path), device=device, jit=False)
    return model.float().eval().requires_grad_(False)


def tokenize(clip_model: nn.Module, texts: list[str]) -> torch.Tensor:
    """Token ids [len(texts), context_length] on the model's device; a friendly error for bad prompts."""
    import clip

    for text in texts:
        if not text.strip():
            raise PromptError("the prompt is empty: say what to change, e.g. 'curly hair'")
    try:
        tokens = clip.tokenize(texts, context_length=clip_model.context_length)
    except RuntimeError as exc:  # clip raises RuntimeError("Input ... is too long for context length 77")
        raise PromptError(f"the prompt is too long for CLIP ({clip_model.context_length} tokens at most)") from exc
    return tokens.to(_device(clip_model))


def encode_text(clip_model: nn.Module, texts: list[str]) -> torch.Tensor:
    """CLIP text embeddings [len(texts), embed_dim], float32, not normalised."""
    with torch.no_grad():
        return encode_tokens(clip_model, tokenize(clip_model, texts)).float()


def encode_tokens(clip_model: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """`clip_model.encode_text(tokens)`, computed only up to the batch's longest real sequence.

    CLIP's text transformer is causal and its result is read at the end-of-text token (the largest id of
    each row), so the padding after it never reaches the result: a template sentence of ~10 tokens costs
    ~10 positions instead of 77. Models of another shape (test doubles) get their own `encode_text`.
    """
    blocks = _causal_blocks(clip_model)
    if blocks is None:
        return clip_model.encode_text(tokens)
    eot = tokens.argmax(dim=-1)
    length = int(eot.max()) + 1
    dtype = clip_model.dtype
    x = clip_model.token_embedding(tokens[:, :length]).type(dtype)
    x = x + clip_model.positional_embedding[:length].type(dtype)
    x = x.permute(1, 0, 2)  # NLD -> LND, as CLIP's blocks take it
    mask = torch.full((length, length), float("-inf"), dtype=x.dtype, device=x.device).triu_(1)
    for block in blocks:
        h = block.ln_1(x)
        x = x + block.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        x = x + block.mlp(block.ln_2(x))
    x = clip_model.ln_final(x.permute(1, 0, 2)).type(dtype)
    return x[torch.arange(x.shape[0], device=x.device), eot] @ clip_model.text_projection


def _causal_blocks(clip_model: nn.Module) -> list[nn.Module] | None:
    """The residual attention blocks of an OpenAI CLIP text tower with its causal mask, else None."""
    transformer = getattr(clip_model, "transformer", None)
    blocks = list(getattr(transformer, "resblocks", ()))
    parts = ("ln_1", "attn", "mlp", "ln_2", "attn_mask")
    if not blocks or not all(hasattr(b, part) for b in blocks for part in parts):
        return None
    if not all(hasattr(clip_model, name) for name in ("token_embedding", "positional_embedding", "ln_final")):
        return None
    mask = blocks[0].attn_mask
    if mask is None or mask.ndim != 2 or not torch.equal(torch.isinf(mask), torch.ones_like(mask).triu(1).bool()):
        return None  # not the causal mask this shortcut relies on
    return blocks


def template_embedding(
    clip_model: nn.Module, text: str, templates: tuple[str, ...] = IMAGENET_TEMPLATES
) -> torch.Tensor:
    """The prompt-ensemble embedding of `text` [embed_dim]: StyleCLIP's `zeroshot_classifier` for one class."""
    embeddings = encode_text(clip_model, [t.format(text) for t in templates])
    return ensemble(embeddings)


def ensemble(embeddings: torch.Tensor) -> torch.Tensor:
    """[T, D] template embeddings → [D]: each normalised, averaged, the mean renormalised."""
    embeddings = embeddings / embeddings.norm(dim=-1, keepdim=True)
    mean = embeddings.mean(dim=0)
    return mean / mean.norm()


def direction_from_features(target: torch.Tensor, neutral: torch.Tensor) -> torch.Tensor:
    """Δt = normalise(target − neutral) (StyleCLIP's `GetDt`); zero when both texts embed alike."""
    dt = target - neutral
    norm = dt.norm()
    return dt / norm if norm > 0 else dt


class TextEncoder:
    """CLIP text embeddings with a cache, so each prompt is embedded once per process."""

    def __init__(self, clip_model: nn.Module, templates: tuple[str, ...] = IMAGENET_TEMPLATES) -> None:
        self.clip_model = clip_model
        self.templates = templates
        self._ensembles: dict[str, torch.Tensor] = {}
        self._plain: dict[str, torch.Tensor] = {}

    def ensemble(self, text: str) -> torch.Tensor:
        """Template-ensemble embedding of `text` (unit norm, [embed_dim])."""
        key = text.strip()
        if key not in self._ensembles:
            self._ensembles[key] = template_embedding(self.clip_model, key, self.templates)
        return self._ensembles[key]

    def plain(self, text: str) -> torch.Tensor:
        """Embedding of the bare sentence (unit norm, [embed_dim]), for CLIP loss and prompt matching."""
        key = text.strip()
        if key not in self._plain:
            e = encode_text(self.clip_model, [key])[0]
            self._plain[key] = e / e.norm()
        return self._plain[key]

    def direction(self, target: str, neutral: str) -> torch.Tensor:
        """Δt [embed_dim] from `neutral` to `target`."""
        return direction_from_features(self.ensemble(target), self.ensemble(neutral))


def text_direction(clip_model: nn.Module, target: str, neutral: str = "face") -> torch.Tensor:
    """Global-direction text direction Δt [embed_dim] = normalise(ensemble(target) − ensemble(neutral)).

    Args:
        clip_model: a CLIP model (`load_clip`), or any module with `encode_text` and `context_length`.
        target: what the image should show ("face with curly hair").
        neutral: what it shows now ("face").
    """
    return TextEncoder(clip_model).direction(target, neutral)


def clip_image_input(images: torch.Tensor, input_resolution: int = 224) -> torch.Tensor:
    """Generator images [N, 3, R, R] → CLIP's input size: `Upsample(scale_factor=7)` then
    `AvgPool2d(R * 7 // input_resolution)`, as StyleCLIP (R // 32 for CLIP's 224)."""
    side = images.shape[-1] * 7
    if side % input_resolution:
        raise ValueError(
            f"a {images.shape[-1]}px image cannot be pooled to CLIP's {input_resolution}px after ×7 upsampling"
        )
    x = F.interpolate(images, scale_factor=7, mode="nearest")
    return F.avg_pool2d(x, side // input_resolution)


class CLIPLoss(nn.Module):
    """StyleCLIP's CLIP loss: 1 − cos(CLIP(image), CLIP(text)) per image, [N].

    StyleCLIP writes `1 - logits / 100`, which is 1 − cosine for the released CLIP (logit scale 100).
    """

    def __init__(self, clip_model: nn.Module) -> None:
        super().__init__()
        self.clip_model = clip_model

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        x = clip_image_input(images, self.clip_model.visual.input_resolution)
        features = self.clip_model.encode_image(x.to(self.clip_model.dtype)).float()
        return features / features.norm(dim=-1, keepdim=True)

    def forward(self, images: torch.Tensor, text_features: torch.Tensor) -> torch.Tensor:
        """images [N, 3, R, R], unit text features [D] → loss [N]."""
        return 1 - self.image_features(images) @ text_features.to(images.device)


def _device(module: nn.Module) -> torch.device:
    return next(module.parameters()).device
