"""One local Ray with the engine deployed on demo models, shared by every test that asks for `engine_server`
(tests/conftest.py makes the fixture visible everywhere).

Starting Ray and a replica takes 20-40 s on two cores, so it happens once per test session, and only when a
test asks for `engine_server`. Ray is an optional extra (`[serve]`): without it these tests are skipped.
"""

from __future__ import annotations

import builtins
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")  # Ray would otherwise wrap print() in this process

TOKEN = "test-engine-secret-0123456789"
READY_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class EngineServer:
    url: str
    token: str

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        """A plain HTTP GET (status, body), with the token unless told otherwise."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {token or self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.get("/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the engine at {self.url} was not ready within {timeout_s:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def engine_server():
    pytest.importorskip("ray.serve", reason="the [serve] extra is not installed")
    from engine.serve.deploy import ServeOptions, start, stop

    original_print = builtins.print
    options = ServeOptions(demo=True, replicas=1, port=free_port(), token=TOKEN, device="cpu")
    start(options, ray_init={"num_cpus": 4, "include_dashboard": False, "log_to_driver": False})
    server = EngineServer(f"http://127.0.0.1:{options.port}", TOKEN)
    try:
        server.wait_ready()
        yield server
    finally:
        stop()
        builtins.print = original_print
