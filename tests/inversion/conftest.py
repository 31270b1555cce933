"""Fixtures shared by the inversion tests: the e4e conformance weights, built once per session."""

from __future__ import annotations

import pytest
import torch

from tests.manifests import state_dict_from_manifest as load_state_dict


@pytest.fixture(scope="session")
def e4e_state() -> dict[str, torch.Tensor]:
    """The `e4e_1024` manifest as an e4e checkpoint's `state_dict` (`encoder.*` keys; ~1 GB of float32)."""
    return load_state_dict("e4e_1024")


@pytest.fixture(scope="session")
def detector():
    """dlib's detector with the bundled 68-point model, loaded once (about a second)."""
    from engine.inversion import DlibDetector

    return DlibDetector()
