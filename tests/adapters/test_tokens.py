"""Tokens never reach a log line: not in messages, arguments, tracebacks, nor through child loggers."""

from __future__ import annotations

import io
import logging

import pytest

from bot.adapters.tokens import MASK, TokenMask, install_token_mask, mask, remove_token_mask, secrets_of, token

TELEGRAM = "123456789:AAHfake-secret_value-0123456789abcdefXYZ"
DISCORD = "MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.fake-discord-token-value-0123456789"


@pytest.fixture
def captured():
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield root, handler, stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_tokens_are_masked_in_messages_arguments_and_tracebacks(captured):
    _, _, stream = captured
    install_token_mask([TELEGRAM, DISCORD])
    log = logging.getLogger("telegram.ext.somewhere")
    log.info("POST https://api.telegram.org/bot%s/getUpdates", TELEGRAM)
    log.warning("discord login with %r failed", DISCORD)
    try:
        raise RuntimeError(f"bad url /bot{TELEGRAM}/sendPhoto")
    except RuntimeError:
        log.exception("send failed")
    text = stream.getvalue()
    assert TELEGRAM not in text and DISCORD not in text
    assert TELEGRAM.split(":")[1] not in text
    assert f"/bot{MASK}/getUpdates" in text
    assert "RuntimeError: bad url" in text and text.count(MASK) == 3


def test_masking_leaves_the_exception_for_other_consumers(captured):
    _, handler, _ = captured
    install_token_mask([TELEGRAM])
    records = []
    handler.emit = records.append  # what the handler was handed, after its filters ran
    try:
        raise ValueError(TELEGRAM)
    except ValueError:
        logging.getLogger("x").exception("failed")
    (record,) = [r for r in records if r.name == "x"]
    assert record.exc_info is not None and TELEGRAM not in record.exc_text


def test_remove_token_mask_takes_every_mask_off(captured):
    _, handler, _ = captured
    install_token_mask([TELEGRAM])
    remove_token_mask()
    assert not [f for f in handler.filters if isinstance(f, TokenMask)]


def test_installing_twice_keeps_one_filter(captured):
    _, handler, _ = captured
    install_token_mask([TELEGRAM])
    install_token_mask([TELEGRAM, DISCORD])
    masks = [f for f in handler.filters if isinstance(f, TokenMask)]
    assert len(masks) == 1 and DISCORD in masks[0].secrets


def test_httpx_request_lines_are_silenced(captured):
    install_token_mask([TELEGRAM])
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_secret_part_of_a_telegram_token_is_masked_alone():
    secrets = secrets_of([TELEGRAM, None, "", "short"])
    assert secrets == [TELEGRAM, TELEGRAM.split(":", 1)[1]]
    assert mask(f"x {TELEGRAM.split(':', 1)[1]} y", secrets) == f"x {MASK} y"


def test_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "  ")
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert token("telegram") is None and token("discord") is None
    monkeypatch.setenv("DISCORD_BOT_TOKEN", DISCORD)
    assert token("discord") == DISCORD


def test_token_from_the_config_file_when_the_environment_has_none(monkeypatch, tmp_path, caplog):
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\ntoken = "{TELEGRAM}"\n\n[discord]\ntoken = ""\n')
    config.chmod(0o600)
    env = {"STYLECLIP_BOT_CONFIG": str(config)}
    assert token("telegram", env) == TELEGRAM
    assert token("discord", env) is None
    assert token("telegram", {**env, "TELEGRAM_BOT_TOKEN": "from-the-environment-0123"}) == "from-the-environment-0123"
    assert not caplog.records
    config.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert token("telegram", env) == TELEGRAM
    assert "chmod 600" in caplog.text and TELEGRAM not in caplog.text


def test_config_file_location_and_errors(tmp_path):
    from bot.adapters.tokens import ConfigError, config_path

    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "styleclip-bot" / "config.toml"
    assert token("telegram", {"STYLECLIP_BOT_CONFIG": str(tmp_path / "absent.toml")}) is None
    broken = tmp_path / "broken.toml"
    broken.write_text(f'[telegram]\ntoken = "{TELEGRAM}\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        token("telegram", {"STYLECLIP_BOT_CONFIG": str(broken)})
    assert TELEGRAM not in str(info.value) and str(broken) in str(info.value)
