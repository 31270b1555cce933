"""Retry: how often and how long a platform call is tried again, without waiting for real."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.retry import Retry


class Flaky:
    """Fails with `error` the first `failures` times, then returns "ok"."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def retry(waits: list[float], **options) -> Retry:
    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    return Retry(lambda exc: isinstance(exc, ConnectionError), sleep=no_wait, **options)


def test_transient_errors_are_tried_again_with_doubling_waits_up_to_the_cap():
    waits: list[float] = []
    call = Flaky(4, ConnectionResetError())
    policy = retry(waits, attempts=5, first_s=1.0, max_s=3.0, jitter=0.0)
    assert asyncio.run(policy.run(call, "test call")) == "ok"
    assert call.calls == 5 and waits == [1.0, 2.0, 3.0, 3.0]


def test_the_last_error_comes_back_when_no_try_is_left():
    waits: list[float] = []
    call = Flaky(9, ConnectionRefusedError("refused"))
    with pytest.raises(ConnectionRefusedError, match="refused"):
        asyncio.run(retry(waits, attempts=3, jitter=0.0).run(call, "test call"))
    assert call.calls == 3 and len(waits) == 2


def test_a_refusal_is_not_tried_again():
    waits: list[float] = []
    call = Flaky(1, ValueError("file is too big"))
    with pytest.raises(ValueError):
        asyncio.run(retry(waits).run(call, "test call"))
    assert call.calls == 1 and waits == []


def test_jitter_stretches_each_wait_by_a_random_share():
    policy = Retry(lambda exc: True, first_s=2.0, jitter=0.5, random=lambda: 0.5)
    assert [policy.delay(n) for n in (1, 2)] == [2.5, 5.0]
    with pytest.raises(ValueError):
        Retry(lambda exc: True, attempts=0)
