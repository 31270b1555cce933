"""Fixtures of the weights tests: a loopback file server and a port that refuses connections."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.weights.helpers import FileServer, Handler


@pytest.fixture
def server():
    """A fresh loopback file server per test; `server.files` maps paths to bytes."""
    state = FileServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.state = state  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused, as when offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
