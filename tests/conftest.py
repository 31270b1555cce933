"""Settings every test shares."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_personal_config(monkeypatch, tmp_path_factory):
    """Keep a developer's own ~/.config/styleclip-bot/config.toml (and its tokens) out of the tests."""
    monkeypatch.setenv("STYLECLIP_BOT_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))
