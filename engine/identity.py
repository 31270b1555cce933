"""ArcFace IR-SE50 identity network and StyleCLIP's identity loss.

The latent-optimization edit keeps the person recognisable by penalising the cosine distance
between ArcFace embeddings of the edited and the original image (StyleCLIP `criteria/id_loss.py`,
network from TreB1eN/InsightFace_Pytorch `model_irse.py`). The weights are the published
`model_ir_se50.pth`: a bare state dict of `Backbone(input_size=112, num_layers=50, mode='ir_se')`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch
from torch import nn

from engine import irse
from engine.checkpoints import CheckpointError, load_strict, read_checkpoint

__all__ = [
    "Backbone",
    "IDLoss",
    "IdentityWeightsError",
    "backbone_from_state_dict",
    "identity_embeddings",
    "load_id_network",
]


class IdentityWeightsError(CheckpointError):
    """An ArcFace weights file that cannot be used: missing, unreadable, or not in the expected layout."""


class Backbone(nn.Module):
    """ArcFace IR-SE backbone: [N, 3, 112, 112] in [-1, 1] → unit-norm identity embeddings [N, 512]."""

    def __init__(self, input_size: int = 112, num_layers: int = 50, mode: str = "ir_se", drop_ratio: float = 0.6):
        super().__init__()
        if input_size != 112:
            raise ValueError(f"only input_size=112 is supported, got {input_size}")
        if mode != "ir_se":
            raise ValueError(f"only mode='ir_se' is supported, got {mode!r}")
        self.input_layer = irse.input_layer()
        self.body = irse.body(num_layers)
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(512),
            nn.Dropout(drop_ratio),             # inactive in eval mode
            nn.Flatten(),                       # NCHW order: index c·49 + h·7 + w
            nn.Linear(512 * 7 * 7, 512),
            nn.BatchNorm1d(512),
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding before L2 normalisation, [N, 512]."""
        return self.output_layer(self.body(self.input_layer(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return irse.l2_norm(self.embed(x))


def load_id_network(path: str | os.PathLike, device: str | torch.device = "cpu") -> Backbone:
    """Load `model_ir_se50.pth` strictly into a Backbone, in eval mode with gradients off.

    `*.num_batches_tracked` entries are optional (they never affect eval outputs).

    Raises:
        IdentityWeightsError: the file is missing, truncated or not a state dict, or its keys or shapes differ.
    """
    state = read_checkpoint(path, error=IdentityWeightsError)
    return backbone_from_state_dict(state, source=str(path)).to(device)


def backbone_from_state_dict(state: Mapping[str, torch.Tensor], source: str = "state dict") -> Backbone:
    """A Backbone loaded strictly from `state`, in eval mode with gradients off."""
    with torch.device("meta"):
        network = Backbone()
    load_strict(network, state, source, error=IdentityWeightsError)
    return network.eval().requires_grad_(False)


class IDLoss(nn.Module):
    """StyleCLIP's identity loss: mean over the batch of 1 − cos(ArcFace(y_hat), ArcFace(y)).

    Inputs are generator-style images [N, 3, H, W] in [-1, 1], aligned like FFHQ (any H; 1024 px is
    pooled to 256 first). Gradients flow to `y_hat`; the features of `y` are detached.
    """

    def __init__(self, network: Backbone) -> None:
        super().__init__()
        self.facenet = network.eval()
        self.pool = nn.AdaptiveAvgPool2d((256, 256))
        self.face_pool = nn.AdaptiveAvgPool2d((112, 112))

    def train(self, mode: bool = True) -> IDLoss:
        """The network stays in eval mode (BatchNorm running statistics, no dropout) whatever `mode` is."""
        super().train(mode)
        self.facenet.eval()
        return self

    def face_crop(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] → the 112 px face region the network sees (rows 35..222, columns 32..219 at 256 px)."""
        if x.shape[2] != 256:
            x = self.pool(x)
        return self.face_pool(x[:, :, 35:223, 32:220])

    def extract_feats(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] → unit-norm identity embeddings [N, 512]."""
        return self.facenet(self.face_crop(x))

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """A scalar tensor: (1/N) Σ_i (1 − ⟨f(y_hat)_i, f(y)_i⟩)."""
        if y_hat.shape[0] != y.shape[0]:
            raise ValueError(f"y_hat and y must have the same batch size, got {y_hat.shape[0]} and {y.shape[0]}")
        y_feats = self.extract_feats(y).detach()
        y_hat_feats = self.extract_feats(y_hat)
        return (1 - (y_hat_feats * y_feats).sum(dim=1)).mean()


@torch.no_grad()
def identity_embeddings(id_loss: IDLoss, images: list, device: str | torch.device = "cpu") -> list:
    """Unit ArcFace embeddings (float32 numpy [512]) of FFHQ-aligned uint8 faces [H, W, 3] of any sizes.

    Each face is pooled to 256 px first, as `IDLoss` does, so the photo's 256 px crop and the generator's
    1024 px rendering are compared on the same footing (cosine similarity = the dot product).
    """
    import numpy as np

    batch = []
    for image in images:
        x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1.0
        batch.append(nn.functional.adaptive_avg_pool2d(x, 256) if x.shape[-1] != 256 else x)
    feats = id_loss.extract_feats(torch.cat(batch).to(device))
    return list(feats.float().cpu().numpy())
