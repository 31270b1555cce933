"""Settings every test shares."""

from __future__ import annotations

import pytest

from tests.support.engine_server import engine_server  # noqa: F401 - a fixture for every folder


@pytest.fixture(autouse=True)
def no_personal_config(monkeypatch, tmp_path_factory):
    """Keep a developer's own ~/.config/styleclip-bot/config.toml (and its tokens) out of the tests."""
    monkeypatch.setenv("STYLECLIP_BOT_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))


@pytest.fixture(autouse=True)
def no_network_weights(monkeypatch):
    """No test fetches model files by accident: offline, and no mirror unless a test sets one."""
    monkeypatch.setenv("STYLECLIP_OFFLINE", "1")
    monkeypatch.delenv("STYLECLIP_WEIGHTS_MIRROR", raising=False)
    monkeypatch.delenv("STYLECLIP_WEIGHTS_MIRROR_ONLY", raising=False)
