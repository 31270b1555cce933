"""The bot's Prometheus metrics: what people send, what they get back, which failures they see, how long it takes.

Each `BotMetrics` owns its registry, so two conversations (two tests) never share counts. `styleclip-bot run`
serves the registry over HTTP when $STYLECLIP_BOT_METRICS_PORT is set (`address`, `Exporter`); the names all
start with `styleclip_bot_`:

    styleclip_bot_messages_total{kind="photo|text|button"}
    styleclip_bot_replies_total{kind="image|text"}
    styleclip_bot_errors_total{kind="<exception class>|unexpected"}   failures the core turned into a reply
    styleclip_bot_handling_seconds{kind="photo|text|button"}          histogram, waiting for the turn included
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    start_http_server,
)

if TYPE_CHECKING:
    from bot.core.events import Event, Reply

PORT_VAR = "STYLECLIP_BOT_METRICS_PORT"
HOST_VAR = "STYLECLIP_BOT_METRICS_HOST"
DEFAULT_HOST = "127.0.0.1"     # the numbers say how busy the bot is: nobody else's business unless asked

# By class name: this module is imported by the core, so it cannot import the core's event types itself.
EVENT_KINDS = {"PhotoEvent": "photo", "TextEvent": "text", "ButtonEvent": "button"}
REPLY_KINDS = {"ImageReply": "image", "TextReply": "text"}
UNEXPECTED = "unexpected"
# From a cached button answer (tens of ms) to a queued optimization on a busy GPU (minutes).
HANDLING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

R = TypeVar("R", bound="Sequence[Reply]")


class MetricsConfigError(ValueError):
    """A metrics setting that cannot be used (said before the bot starts)."""


class BotMetrics:
    """The counters and the histogram of one conversation, in their own registry.

    Args:
        registry: where they are registered; default: a new registry with the process, platform and
            garbage-collector collectors too, as `prometheus_client`'s default one has.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry()
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                registry.register(collector)
        self.registry = registry
        self.messages = Counter("styleclip_bot_messages", "Events the bot received, by kind.", ["kind"],
                                registry=registry)
        self.replies = Counter("styleclip_bot_replies", "Replies the bot sent back, by kind.", ["kind"],
                               registry=registry)
        self.errors = Counter("styleclip_bot_errors", "Failures turned into a reply, by exception class "
                              "(\"unexpected\": a bug, logged with a reference).", ["kind"], registry=registry)
        self.handling = Histogram("styleclip_bot_handling_seconds", "Seconds from an event to its replies, "
                                  "waiting for the person's turn included.", ["kind"], buckets=HANDLING_BUCKETS,
                                  registry=registry)
        for kind in EVENT_KINDS.values():  # every series exists from the start, so a rate() has a zero to start at
            self.messages.labels(kind)
            self.handling.labels(kind)
        for kind in REPLY_KINDS.values():
            self.replies.labels(kind)

    @contextlib.contextmanager
    def handled(self, event: Event) -> Iterator[Callable[[R], R]]:
        """Count `event` and time its handling; the function yielded counts the replies and hands them back."""
        kind = EVENT_KINDS.get(type(event).__name__, "other")
        self.messages.labels(kind).inc()
        started = time.perf_counter()

        def answered(replies: R) -> R:
            for reply in replies:
                self.replies.labels(REPLY_KINDS.get(type(reply).__name__, "other")).inc()
            return replies

        try:
            yield answered
        finally:
            self.handling.labels(kind).observe(time.perf_counter() - started)

    def failed(self, kind: str) -> None:
        """Count a failure the person was told about: its exception class name, or `UNEXPECTED`."""
        self.errors.labels(kind).inc()


# ---------------------------------------------------------------------- serving


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"


def address() -> Address | None:
    """Where to serve the metrics: $STYLECLIP_BOT_METRICS_HOST (default 127.0.0.1) and
    $STYLECLIP_BOT_METRICS_PORT (0: any free port); None when the port is not set."""
    raw = os.environ.get(PORT_VAR, "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        raise MetricsConfigError(f"{PORT_VAR} must be a port number (0 to 65535), not {raw!r}.") from None
    if not 0 <= port <= 65535:
        raise MetricsConfigError(f"{PORT_VAR} must be a port number (0 to 65535), not {raw!r}.")
    host = os.environ.get(HOST_VAR, "").strip() or DEFAULT_HOST
    return Address(host, port)


class Exporter:
    """The metrics' HTTP endpoint (`/metrics`, in a thread of its own) while `start`ed, when an address is set."""

    def __init__(self, metrics: BotMetrics, where: Address | None) -> None:
        self._metrics = metrics
        self._where = where
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> Address | None:
        """Listen; returns the address listened on (the real port when 0 was asked), None when none is set.

        Raises:
            MetricsConfigError: the address cannot be listened on (taken, not this machine's).
        """
        if self._where is None:
            return None
        try:
            self._server, self._thread = start_http_server(
                self._where.port, self._where.host, registry=self._metrics.registry
            )
        except OSError as exc:
            raise MetricsConfigError(
                f"cannot serve the metrics on {self._where.host} port {self._where.port} "
                f"(set by {PORT_VAR}/{HOST_VAR}): {exc.strerror or exc}."
            ) from None
        return Address(self._where.host, self._server.server_port)

    def stop(self) -> None:
        """Stop listening (nothing when not started)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None
