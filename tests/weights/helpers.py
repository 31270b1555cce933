"""A real HTTP server on loopback that serves small files the way the model hosts do (or fail to)."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from engine.weights import WeightFile

PAYLOAD = bytes(range(256)) * 40 + b"end of the weights"  # 10258 bytes, every prefix distinct


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Served:
    """One request as the server saw it."""

    path: str
    range: str | None
    status: int
    body_bytes: int


@dataclass
class FileServer:
    """What the server serves, how it misbehaves, and a log of every request."""

    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    ignore_range: bool = False
    truncate_at: int | None = None  # send the full Content-Length but close after this many body bytes
    drive_style: str = "form"  # the interstitial page served at /uc: "form", "link" or "quota"
    gate: threading.Event | None = None  # when set: files are held back until the event is set
    log: list[Served] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _drive_page(style: str, file_id: str) -> str:
    if style == "form":
        return (
            "<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
            "<p>Google Drive can't scan this file for viruses.</p>"
            '<form id="download-form" action="/download" method="get">'
            '<input type="submit" id="uc-download-link" value="Download anyway"/>'
            f'<input type="hidden" name="id" value="{file_id}">'
            '<input type="hidden" name="export" value="download">'
            '<input type="hidden" name="confirm" value="t">'
            '<input type="hidden" name="uuid" value="1b2c3d4e"></form></body></html>'
        )
    if style == "link":
        return (
            "<html><body>Google Drive can't scan this file for viruses. "
            f'<a id="uc-download-link" href="/download?export=download&amp;confirm=t&amp;id={file_id}">'
            "Download anyway</a></body></html>"
        )
    return "<html><body>Sorry, you can't view or download this file at this time. Too many users ...</body></html>"


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state: FileServer = self.server.state  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        range_header = self.headers.get("Range")
        if parts.path == "/uc":  # Drive: the interstitial page, always (the files here are "too large to scan")
            return self._send(state, 200, _drive_page(state.drive_style, query["id"]).encode(), "text/html")
        if parts.path == "/download":
            if query.get("confirm") != "t":
                return self._send(state, 403, b"no confirm token", "text/plain")
            body = state.files.get(f"/drive/{query.get('id')}")
        else:
            body = state.files.get(parts.path)
        if body is None:
            return self._send(state, 404, b"not found", "text/plain")
        if state.gate is not None:
            state.gate.wait(120)
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and not state.ignore_range:
            start = int(match.group(1))
            if start >= len(body):
                return self._send(state, 416, b"", "text/plain", {"Content-Range": f"bytes */{len(body)}"})
            headers = {"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
            return self._send(state, 206, body[start:], "application/octet-stream", headers)
        return self._send(state, 200, body, "application/octet-stream")

    def _send(self, state: FileServer, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        sent = body if state.truncate_at is None else body[: state.truncate_at]
        # logged before the body goes out, so the log is complete by the time the client has the bytes
        state.log.append(Served(urlsplit(self.path).path, self.headers.get("Range"), status, len(sent)))
        self.wfile.write(sent)
        self.wfile.flush()
        if len(sent) < len(body):
            self.close_connection = True


def entry(name: str, urls: list[str], sha: str | None = None, filename: str | None = None) -> WeightFile:
    """A registry entry for a small test file."""
    return WeightFile(name=name, filename=filename or f"{name}.bin", approx_bytes=len(PAYLOAD),
                      loaded_by="tests", urls=tuple(urls), sha256=sha, group="test")
