"""Deploying the engine on Ray Serve: a local Ray when `RAY_ADDRESS` is unset, the cluster's when it is set.

Each replica takes one GPU when the cluster has GPUs (one model set per GPU) and otherwise `cpus_per_replica`
CPUs. Ray queues at most `max_queued_requests` requests per replica beyond the `max_ongoing_requests` it is
working on; past that it answers 503 at once, which bots turn into "busy, try again shortly".
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field

from engine.photos import ImageLimits

log = logging.getLogger(__name__)

APP_NAME = "styleclip"
DEPLOYMENT_NAME = "engine"


class ServeConfigError(ValueError):
    """The serve settings are unsafe or impossible; the message says what to change."""


@dataclass(frozen=True)
class ServeOptions:
    demo: bool = False
    replicas: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
    device: str | None = None
    offline: bool | None = None
    token: str | None = None            # STYLECLIP_ENGINE_TOKEN
    max_ongoing_requests: int = 32      # per replica: what its own queues hold (the engine batches them)
    max_queued_requests: int = 64       # per replica, waiting in Ray before it; beyond that: 503
    cpus_per_replica: float = 1.0
    limits: ImageLimits = field(default_factory=ImageLimits)

    def check(self) -> None:
        """Refuse what would be unsafe: a secretless engine reachable from other machines."""
        if self.replicas < 1:
            raise ServeConfigError(f"--replicas must be at least 1, not {self.replicas}")
        if not 0 < self.port < 65536:
            raise ServeConfigError(f"--port must be between 1 and 65535, not {self.port}")
        if not self.token and not is_loopback(self.host):
            raise ServeConfigError(
                f"the engine would listen on {self.host} without a secret: set STYLECLIP_ENGINE_TOKEN "
                "(and the same value on every bot), or bind to 127.0.0.1"
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def application(options: ServeOptions):
    """The bound Ray Serve application for `options` (imports Ray)."""
    import ray
    from ray import serve

    from engine.serve.replica import EngineReplica, token_digest

    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 and options.device in (None, "cuda") else 0
    deployment = serve.deployment(
        EngineReplica,
        name=DEPLOYMENT_NAME,
        num_replicas=options.replicas,
        max_ongoing_requests=options.max_ongoing_requests,
        max_queued_requests=options.max_queued_requests,
        ray_actor_options={"num_gpus": gpus, "num_cpus": 0 if gpus else options.cpus_per_replica},
        health_check_period_s=2,
        health_check_timeout_s=30,
    )
    token = token_digest(options.token) if options.token else None
    return deployment.bind(options.demo, options.device, options.offline, token, options.limits)


def start(options: ServeOptions, *, ray_init: dict | None = None) -> None:
    """Start (or join) Ray and run the application; returns once it is deployed (the models may still load).

    Raises:
        ServeConfigError: the options are unsafe or impossible (said before Ray is even imported).
    """
    options.check()
    import ray
    from ray import serve

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        ray.init(address=address, **(ray_init or {}))
    serve.start(http_options={"host": options.host, "port": options.port})
    serve.run(application(options), name=APP_NAME, route_prefix="/", blocking=False)
    log.info("engine deployed: %d replica(s) at http://%s:%d", options.replicas, options.host, options.port)


def stop() -> None:
    """Delete the application and stop Serve (and the local Ray this process started)."""
    import ray
    from ray import serve

    if ray.is_initialized():
        serve.shutdown()
        ray.shutdown()
