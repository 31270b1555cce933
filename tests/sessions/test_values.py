"""Arrays, edits, people, configuration and the retry helper: no database needed."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from bot.sessions import ConcurrentEdit, InvalidEdit, NewEdit, Person, StepKind, StoredArray, config, retry_on_conflict
from bot.sessions.errors import DatabaseConfigError
from bot.sessions.records import EditStep
from engine.values import Method

from .helpers import style_edit, w_plus_edit


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arrays_round_trip_exactly(dtype: str) -> None:
    array = np.random.default_rng(0).standard_normal((18, 512)).astype(dtype)
    stored = StoredArray.from_numpy(array)
    assert (stored.shape, stored.dtype, stored.nbytes) == ((18, 512), dtype, array.nbytes)
    back = stored.to_numpy()
    np.testing.assert_array_equal(back, array)
    back[0, 0] = 7  # a fresh, writable copy
    assert stored.to_numpy()[0, 0] != 7


def test_big_endian_input_is_stored_little_endian() -> None:
    array = np.arange(6, dtype=">f4").reshape(2, 3)
    stored = StoredArray.from_numpy(array)
    assert stored.data == np.arange(6, dtype="<f4").tobytes()
    np.testing.assert_array_equal(stored.to_numpy(), array)


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(InvalidEdit, match="needs 16"):
        StoredArray(b"\0" * 15, (2, 2), "float32")
    with pytest.raises(InvalidEdit, match="Unsupported array dtype"):
        StoredArray.from_numpy(np.zeros(3, np.int64))
    with pytest.raises(InvalidEdit, match="NaN"):
        StoredArray.from_numpy(np.array([1.0, np.nan], np.float32))


def test_new_edits_check_step_kind_shape_and_size() -> None:
    assert w_plus_edit(0).step_kind is StepKind.W_PLUS
    assert style_edit(0).step_kind is StepKind.STYLE  # given as the string "style"
    base = {"text": "t", "instruction": "i", "method": "mapper", "reason": "r", "strength": 1.0}
    with pytest.raises(InvalidEdit, match="Unknown step kind"):
        NewEdit(**base, step_kind="pixels", step=np.zeros(4, np.float32))
    with pytest.raises(InvalidEdit, match="StyleSpace step must be 1-D"):
        NewEdit(**base, step_kind="style", step=np.zeros((2, 4), np.float32))
    with pytest.raises(InvalidEdit, match="larger than"):
        NewEdit(**base, step_kind="w_plus", step=np.zeros((18, 4096), np.float32))
    with pytest.raises(InvalidEdit, match="strength"):
        NewEdit(**{**base, "strength": float("inf")}, step_kind="style", step=np.zeros(4, np.float32))
    with pytest.raises(InvalidEdit, match="method"):
        NewEdit(**{**base, "method": ""}, step_kind="style", step=np.zeros(4, np.float32))


def test_edit_step_applies_its_scale() -> None:
    stored = StoredArray.from_numpy(np.array([1.0, -2.0], np.float32))
    step = EditStep(edit_id=1, kind=StepKind.STYLE, step=stored, scale=1.5, method=Method.GLOBAL_DIRECTION)
    np.testing.assert_array_equal(step.to_numpy(), np.array([1.5, -3.0], np.float32))
    assert step.to_numpy().dtype == np.float32


def test_people_need_their_three_ids() -> None:
    with pytest.raises(InvalidEdit, match="user_id"):
        Person("telegram", "1", "")
    with pytest.raises(InvalidEdit, match="chat_id"):
        Person("telegram", "x" * 65, "1")


def test_data_dir_follows_xdg_and_the_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STYLECLIP_BOT_DATA_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert config.data_dir() == tmp_path / "xdg" / "styleclip-bot"
    assert config.database_url() == f"sqlite:///{tmp_path}/xdg/styleclip-bot/sessions.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # invalid per the spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.data_dir() == tmp_path / "home" / ".local" / "share" / "styleclip-bot"
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path / "mine"))
    assert config.data_dir() == tmp_path / "mine"


def test_database_url_prefers_explicit_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://bot@db.example/sessions")
    assert config.database_url() == "postgresql+psycopg://bot@db.example/sessions"
    assert config.database_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bot@db/s")
    assert config.database_url() == "postgresql+psycopg://bot@db/s"


def test_retention_and_auto_upgrade_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.RETENTION_VAR, raising=False)
    assert config.retention().days == 30
    monkeypatch.setenv(config.RETENTION_VAR, "7")
    assert config.retention().days == 7
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv(config.RETENTION_VAR, bad)
        with pytest.raises(DatabaseConfigError, match=config.RETENTION_VAR):
            config.retention()
    monkeypatch.setenv(config.AUTO_UPGRADE_VAR, "off")
    assert config.auto_upgrade() is False
    monkeypatch.setenv(config.AUTO_UPGRADE_VAR, "maybe")
    with pytest.raises(DatabaseConfigError):
        config.auto_upgrade()


def test_retry_runs_again_after_conflicts_with_growing_waits() -> None:
    calls, waits = [], []

    def work() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise ConcurrentEdit()
        return "done"

    result = retry_on_conflict(work, attempts=5, base_delay_s=0.01, sleep=waits.append, rng=random.Random(0))
    assert result == "done" and len(calls) == 4
    assert len(waits) == 3
    for k, wait in enumerate(waits):  # 0.01 * 2**k, jittered by a factor in [0.5, 1.5)
        assert 0.5 <= wait / (0.01 * 2**k) < 1.5


def test_retry_gives_up_and_lets_other_errors_through() -> None:
    calls = []

    def always_conflicts() -> None:
        calls.append(1)
        raise ConcurrentEdit()

    with pytest.raises(ConcurrentEdit):
        retry_on_conflict(always_conflicts, attempts=3, sleep=lambda _: None)
    assert len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise KeyError("x")

    with pytest.raises(KeyError):
        retry_on_conflict(broken, attempts=3, sleep=lambda _: None)
    assert len(calls) == 4


def test_purge_interval_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.PURGE_INTERVAL_VAR, raising=False)
    assert config.purge_interval().total_seconds() == 3600
    monkeypatch.setenv(config.PURGE_INTERVAL_VAR, "0.5")
    assert config.purge_interval().total_seconds() == 30
    for bad in ("hourly", "0", "-1"):
        monkeypatch.setenv(config.PURGE_INTERVAL_VAR, bad)
        with pytest.raises(DatabaseConfigError, match=config.PURGE_INTERVAL_VAR):
            config.purge_interval()
