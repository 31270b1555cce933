"""`styleclip-bot serve` refuses unsafe or impossible settings before it starts anything."""

from __future__ import annotations

import pytest

from bot.cli import main
from engine.serve.deploy import ServeConfigError, ServeOptions, is_loopback


@pytest.mark.parametrize(("argv", "said"), [
    (["--host", "0.0.0.0"], "would listen on 0.0.0.0 without a secret: set STYLECLIP_ENGINE_TOKEN"),
    (["--host", "192.168.1.20"], "would listen on 192.168.1.20 without a secret"),
    (["--replicas", "0"], "--replicas must be at least 1, not 0"),
    (["--port", "70000"], "--port must be between 1 and 65535, not 70000"),
])
def test_unsafe_or_impossible_settings_stop_serve_at_once(argv, said, monkeypatch, capsys):
    monkeypatch.delenv("STYLECLIP_ENGINE_TOKEN", raising=False)
    assert main(["serve", *argv]) == 2
    assert said in capsys.readouterr().out


def test_beyond_loopback_the_secret_is_what_makes_it_safe():
    with pytest.raises(ServeConfigError):
        ServeOptions(host="0.0.0.0").check()
    ServeOptions(host="0.0.0.0", token="a-long-shared-secret").check()
    ServeOptions(host="127.0.0.1").check()
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.8.9.1", "0.0.0.0", "gpu-1")] == [
        True, True, True, True, False, False]
