from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.stylegan2 import Generator, load_generator
from tests.manifests import state_dict_from_manifest, vectors


@pytest.fixture(scope="session")
def ref() -> dict[str, np.ndarray]:
    return vectors("stylegan2_64")


@pytest.fixture(scope="session")
def g_ema_state() -> dict[str, torch.Tensor]:
    return state_dict_from_manifest("stylegan2_64")


@pytest.fixture(scope="session")
def checkpoint_path(tmp_path_factory, g_ema_state, ref):
    """The conformance generator saved in the official rosinality layout."""
    path = tmp_path_factory.mktemp("ckpt") / "stylegan2-64.pt"
    torch.save({"g_ema": g_ema_state, "latent_avg": torch.from_numpy(ref["latent_avg"])}, path)
    return path


@pytest.fixture(scope="session")
def generator(checkpoint_path) -> Generator:
    return load_generator(checkpoint_path)
