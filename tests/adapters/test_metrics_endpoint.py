"""`styleclip-bot run` serves the bot's metrics over HTTP when STYLECLIP_BOT_METRICS_PORT is set, and refuses a
bad setting before anything starts."""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

import pytest

from bot import metrics
from bot.cli import main
from tests.core.helpers import astronaut, shared_models


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


class ScrapingInput:
    """The terminal's lines, then, before the end of input, one scrape of the running bot's metrics."""

    def __init__(self, lines: list[str], url: str) -> None:
        self._lines = [f"{line}\n" for line in lines]
        self._url = url
        self.scraped: str | None = None

    def readline(self) -> str:
        if self._lines:
            return self._lines.pop(0)
        if self.scraped is None:
            self.scraped = scrape(self._url)
        return ""


@pytest.fixture
def no_platforms(monkeypatch, tmp_path):
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL", metrics.HOST_VAR):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))


def test_run_serves_what_the_conversation_counted(no_platforms, tmp_path, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv(metrics.PORT_VAR, str(port))
    monkeypatch.setattr("engine.service.demo_models", lambda **_: shared_models())  # built once per test session
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(astronaut())
    terminal = ScrapingInput([f"/photo {photo}", "give him a mohawk"], f"http://127.0.0.1:{port}/metrics")
    monkeypatch.setattr(sys, "stdin", terminal)

    assert main(["run", "--demo", "--out", str(tmp_path / "out")]) == 0

    assert f"Metrics: http://127.0.0.1:{port}/metrics" in capsys.readouterr().out
    lines = set(terminal.scraped.splitlines())
    assert {
        'styleclip_bot_messages_total{kind="photo"} 1.0',
        'styleclip_bot_messages_total{kind="text"} 1.0',
        'styleclip_bot_messages_total{kind="button"} 0.0',
        'styleclip_bot_replies_total{kind="image"} 2.0',
        'styleclip_bot_handling_seconds_count{kind="text"} 1.0',
    } <= lines
    assert any(line.startswith("process_resident_memory_bytes ") for line in lines)
    with pytest.raises(urllib.error.URLError):  # stopped with the bot
        scrape(f"http://127.0.0.1:{port}/metrics")


@pytest.mark.parametrize("port", ["metrics", "8000.5", "65536", "-1"])
def test_a_bad_port_is_said_before_anything_starts(no_platforms, tmp_path, monkeypatch, capsys, port):
    monkeypatch.setenv(metrics.PORT_VAR, port)
    assert main(["run"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("error: ") and metrics.PORT_VAR in out and repr(port) in out
    assert not (tmp_path / "sessions.sqlite3").exists()  # not even the database was created


def test_a_port_in_use_is_a_clear_error(no_platforms, monkeypatch, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv(metrics.PORT_VAR, str(port))
        assert main(["run"]) == 2
    assert f"error: cannot serve the metrics on 127.0.0.1 port {port}" in capsys.readouterr().out


def test_the_exporter_listens_where_asked_and_stops():
    counted = metrics.BotMetrics()
    counted.failed("EngineBusy")
    exporter = metrics.Exporter(counted, metrics.Address("127.0.0.1", 0))
    served = exporter.start()
    try:
        assert served is not None and served.port > 0  # port 0: any free port, and the real one is said
        assert 'styleclip_bot_errors_total{kind="EngineBusy"} 1.0' in scrape(served.url()).splitlines()
    finally:
        exporter.stop()
    with pytest.raises(urllib.error.URLError):
        scrape(served.url())
    assert metrics.Exporter(counted, None).start() is None


def test_the_address_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(metrics.PORT_VAR, raising=False)
    monkeypatch.delenv(metrics.HOST_VAR, raising=False)
    assert metrics.address() is None
    monkeypatch.setenv(metrics.PORT_VAR, " 9464 ")
    assert metrics.address() == metrics.Address("127.0.0.1", 9464)
    monkeypatch.setenv(metrics.HOST_VAR, "::")
    assert metrics.address() == metrics.Address("::", 9464)
    assert metrics.address().url() == "http://[::]:9464/metrics"
