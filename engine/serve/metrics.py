"""What an engine replica counts, in Prometheus' text format at `GET /metrics`.

Each replica keeps its own registry and labels every series with its replica id, so a scrape of the ingress
answers for the replica that took it; scrape each replica (or Ray's own metrics port) for all of them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class EngineMetrics:
    """Queue depth, batch sizes, latency per method and the busy / out-of-memory counts of one replica."""

    def __init__(self, replica: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"replica": replica}
        self.requests = Counter(
            "styleclip_engine_requests", "Requests answered, by endpoint and outcome (ok or the error's class).",
            ["replica", "endpoint", "outcome"], registry=self.registry,
        )
        self.latency = Histogram(
            "styleclip_engine_latency_seconds", "Seconds per request, by method (edits) or endpoint.",
            ["replica", "method"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.in_flight = Gauge(
            "styleclip_engine_in_flight", "Requests this replica is working on or holding in its queues.",
            ["replica"], registry=self.registry,
        ).labels(**labels)
        self.render_batch = Histogram(
            "styleclip_engine_render_batch_size", "Renders per @serve.batch call.",
            ["replica"], buckets=(1, 2, 3, 4, 6, 8, 12, 16), registry=self.registry,
        ).labels(**labels)
        self.busy = Counter(
            "styleclip_engine_busy", "Requests refused because a queue was full.", ["replica"], registry=self.registry,
        ).labels(**labels)
        self.out_of_memory = Counter(
            "styleclip_engine_out_of_memory", "Requests that ran out of device memory even alone.",
            ["replica"], registry=self.registry,
        ).labels(**labels)
        self._replica = replica

    def answered(self, endpoint: str, outcome: str, seconds: float, method: str | None = None) -> None:
        self.requests.labels(self._replica, endpoint, outcome).inc()
        self.latency.labels(self._replica, method or endpoint).observe(seconds)
        if outcome == "EngineBusy":
            self.busy.inc()
        elif outcome == "EngineOutOfMemory":
            self.out_of_memory.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
