"""Where files come from: the mirror first, then other hosts, then Google Drive; byte progress for callers."""

from __future__ import annotations

from engine.weights import download
from engine.weights.download import sources
from engine.weights.registry import drive
from tests.weights.helpers import PAYLOAD, entry, sha256

HOSTED = "https://example.org/w.bin"


def test_drive_comes_after_every_other_source():
    item = entry("w", [drive("abc"), HOSTED])
    assert list(sources(item, {})) == [HOSTED, drive("abc")]


def test_the_mirror_comes_first_and_keeps_the_registry_file_name():
    item = entry("m", [drive("abc"), HOSTED], filename="mappers/mohawk.pt")
    env = {"STYLECLIP_WEIGHTS_MIRROR": "http://mirror.local/weights/"}
    assert list(sources(item, env)) == ["http://mirror.local/weights/mappers/mohawk.pt", HOSTED, drive("abc")]
    env["STYLECLIP_WEIGHTS_MIRROR_ONLY"] = "1"
    assert list(sources(item, env)) == ["http://mirror.local/weights/mappers/mohawk.pt"]


def test_a_file_with_no_public_source_can_still_come_from_the_mirror():
    item = entry("stats", [], filename="S_mean_std")
    assert list(sources(item, {})) == []
    assert list(sources(item, {"STYLECLIP_WEIGHTS_MIRROR": "http://m"})) == ["http://m/S_mean_std"]


def test_download_uses_the_mirror_before_the_registry_sources(server, closed_port, tmp_path, monkeypatch):
    server.files["/copy/mappers/mohawk.pt"] = PAYLOAD
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR", server.url("/copy"))
    item = entry("m", [f"http://127.0.0.1:{closed_port}/m.pt"], sha=sha256(PAYLOAD), filename="mappers/mohawk.pt")
    path = download(item, tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [r.path for r in server.log] == ["/copy/mappers/mohawk.pt"]


def test_a_mirror_without_the_file_falls_through_to_the_next_source(server, tmp_path, monkeypatch):
    server.files["/w.bin"] = PAYLOAD
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR", server.url("/copy"))
    path = download(entry("w", [server.url("/w.bin")]), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [(r.path, r.status) for r in server.log] == [("/copy/w.bin", 404), ("/w.bin", 200)]


def test_byte_progress_reaches_the_whole_file(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    seen: list[tuple[int, int | None]] = []
    download(entry("w", [server.url("/w.bin")]), tmp_path, on_bytes=lambda got, total: seen.append((got, total)))
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [got for got, _ in seen] == sorted(got for got, _ in seen)
