"""Downloading against a loopback server: resume, Range-ignoring servers, checksums, Drive pages, offline."""

from __future__ import annotations

import json
import threading

import pytest

from engine.weights import ChecksumMismatch, DownloadFailed, download, ensure, file_path
from engine.weights.cache import part_path
from tests.weights.helpers import PAYLOAD, entry, sha256


def test_download_writes_the_file_and_records_its_checksum(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    path = download(entry("w", [server.url("/w.bin")]), tmp_path)
    assert path == tmp_path / "w.bin"
    assert path.read_bytes() == PAYLOAD
    assert not part_path(path).exists()
    assert json.loads((tmp_path / "checksums.json").read_text()) == {"w.bin": sha256(PAYLOAD)}
    assert [(r.range, r.status) for r in server.log] == [(None, 200)]


def test_published_checksum_is_checked_and_not_recorded(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    download(entry("w", [server.url("/w.bin")], sha=sha256(PAYLOAD)), tmp_path)
    assert (tmp_path / "w.bin").read_bytes() == PAYLOAD
    assert not (tmp_path / "checksums.json").exists()


def test_nested_file_name_creates_its_folder(server, tmp_path):
    server.files["/m.pt"] = PAYLOAD
    path = download(entry("m", [server.url("/m.pt")], filename="mappers/mohawk.pt"), tmp_path)
    assert path == tmp_path / "mappers" / "mohawk.pt" and path.read_bytes() == PAYLOAD


def test_resume_asks_for_the_rest_only(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    part = part_path(tmp_path / "w.bin")
    part.write_bytes(PAYLOAD[:3000])
    path = download(entry("w", [server.url("/w.bin")], sha=sha256(PAYLOAD)), tmp_path)
    assert path.read_bytes() == PAYLOAD
    (request,) = server.log
    assert request.range == "bytes=3000-" and request.status == 206
    assert request.body_bytes == len(PAYLOAD) - 3000


def test_server_that_ignores_range_restarts_from_zero(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    server.ignore_range = True
    part_path(tmp_path / "w.bin").write_bytes(b"x" * 3000)  # a wrong prefix: appending to it would corrupt the file
    path = download(entry("w", [server.url("/w.bin")]), tmp_path)
    assert path.read_bytes() == PAYLOAD
    (request,) = server.log
    assert request.range == "bytes=3000-" and request.status == 200 and request.body_bytes == len(PAYLOAD)


def test_partial_file_longer_than_the_source_starts_again(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    part_path(tmp_path / "w.bin").write_bytes(b"y" * (len(PAYLOAD) + 10))
    path = download(entry("w", [server.url("/w.bin")]), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [(r.range, r.status) for r in server.log] == [(f"bytes={len(PAYLOAD) + 10}-", 416), (None, 200)]


def test_dropped_connection_keeps_the_part_and_the_next_run_resumes(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    server.truncate_at = 4096
    item = entry("w", [server.url("/w.bin")], sha=sha256(PAYLOAD))
    with pytest.raises(DownloadFailed) as info:
        download(item, tmp_path)
    assert "resumes it" in str(info.value)
    assert not (tmp_path / "w.bin").exists()
    assert part_path(tmp_path / "w.bin").stat().st_size == 4096

    server.truncate_at = None
    assert download(item, tmp_path).read_bytes() == PAYLOAD
    assert server.log[-1].range == "bytes=4096-" and server.log[-1].body_bytes == len(PAYLOAD) - 4096


def test_checksum_mismatch_discards_the_file(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    wanted = sha256(b"the real weights")
    with pytest.raises(ChecksumMismatch) as info:
        download(entry("w", [server.url("/w.bin")], sha=wanted), tmp_path)
    message = str(info.value)
    assert "sha256 mismatch" in message and wanted in message and sha256(PAYLOAD) in message
    assert str(tmp_path / "w.bin") in message
    assert not (tmp_path / "w.bin").exists() and not part_path(tmp_path / "w.bin").exists()


def test_offline_error_names_the_file_every_url_and_where_to_put_it(closed_port, tmp_path):
    urls = [f"http://127.0.0.1:{closed_port}/a/w.bin", f"http://127.0.0.1:{closed_port}/b/w.bin"]
    with pytest.raises(DownloadFailed) as info:
        download(entry("w", urls), tmp_path, timeout=5)
    error = info.value
    assert not isinstance(error, ChecksumMismatch)
    assert [url for url, _ in error.attempts] == urls
    assert all("refused" in reason.lower() for _, reason in error.attempts)
    message = str(error)
    assert "w.bin" in message and all(url in message for url in urls)
    assert str(tmp_path / "w.bin") in message and "offline" in message
    assert error.dest == tmp_path / "w.bin"


def test_falls_back_to_the_next_source(server, tmp_path):
    server.files["/mirror/w.bin"] = PAYLOAD
    path = download(entry("w", [server.url("/gone/w.bin"), server.url("/mirror/w.bin")]), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [(r.path, r.status) for r in server.log] == [("/gone/w.bin", 404), ("/mirror/w.bin", 200)]


@pytest.mark.parametrize("style", ["form", "link"])
def test_google_drive_confirmation_page_is_followed(server, tmp_path, style):
    server.files["/drive/FILEID"] = PAYLOAD
    server.drive_style = style
    path = download(entry("w", [server.url("/uc?export=download&id=FILEID")]), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert [(r.path, r.status) for r in server.log] == [("/uc", 200), ("/download", 200)]


def test_google_drive_resume_sends_range_past_the_page(server, tmp_path):
    server.files["/drive/FILEID"] = PAYLOAD
    part_path(tmp_path / "w.bin").write_bytes(PAYLOAD[:5000])
    download(entry("w", [server.url("/uc?export=download&id=FILEID")]), tmp_path)
    assert (tmp_path / "w.bin").read_bytes() == PAYLOAD
    assert (server.log[-1].path, server.log[-1].range, server.log[-1].status) == ("/download", "bytes=5000-", 206)


def test_web_page_without_a_way_through_is_a_clear_failure(server, tmp_path):
    server.drive_style = "quota"
    with pytest.raises(DownloadFailed) as info:
        download(entry("w", [server.url("/uc?export=download&id=FILEID")]), tmp_path)
    assert "web page instead of the file" in str(info.value)
    assert not (tmp_path / "w.bin").exists() and not part_path(tmp_path / "w.bin").exists()


def test_good_file_present_is_not_fetched_again(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    item = entry("w", [server.url("/w.bin")])
    download(item, tmp_path)
    download(item, tmp_path)
    assert ensure(item, tmp_path) == tmp_path / "w.bin"
    assert len(server.log) == 1


def test_corrupt_file_present_is_fetched_again(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    item = entry("w", [server.url("/w.bin")], sha=sha256(PAYLOAD))
    (tmp_path / "w.bin").write_bytes(b"truncated")
    assert download(item, tmp_path).read_bytes() == PAYLOAD
    assert len(server.log) == 1


def test_file_put_by_hand_is_adopted(tmp_path, closed_port):
    item = entry("w", [f"http://127.0.0.1:{closed_port}/w.bin"])
    (tmp_path / "w.bin").write_bytes(PAYLOAD)
    assert download(item, tmp_path) == tmp_path / "w.bin"
    assert json.loads((tmp_path / "checksums.json").read_text()) == {"w.bin": sha256(PAYLOAD)}


def test_recorded_checksum_catches_a_changed_source(server, tmp_path):
    server.files["/w.bin"] = PAYLOAD
    item = entry("w", [server.url("/w.bin")])
    download(item, tmp_path)
    server.files["/w.bin"] = PAYLOAD[::-1]
    with pytest.raises(ChecksumMismatch):
        download(item, tmp_path, force=True)
    assert file_path(item, tmp_path).read_bytes() == PAYLOAD  # the good copy stays


def test_entry_without_sources_says_where_to_put_the_file(tmp_path):
    with pytest.raises(DownloadFailed) as info:
        download(entry("w", []), tmp_path)
    assert "No public download" in str(info.value) and str(tmp_path / "w.bin") in str(info.value)


def test_progress_bar_on_request(server, tmp_path, capsys):
    server.files["/w.bin"] = PAYLOAD
    download(entry("w", [server.url("/w.bin")]), tmp_path, show_progress=True)
    err = capsys.readouterr().err
    assert "w.bin" in err and "100%" in err
    download(entry("v", [server.url("/w.bin")]), tmp_path, show_progress=False)
    assert capsys.readouterr().err == ""


def test_every_source_failing_lists_each_http_error(server, tmp_path):
    with pytest.raises(DownloadFailed) as info:
        download(entry("w", [server.url("/a/w.bin"), server.url("/b/w.bin")]), tmp_path)
    assert [reason for _, reason in info.value.attempts] == ["HTTP 404 Not Found"] * 2


def test_a_download_in_progress_elsewhere_is_waited_for_not_repeated(server, tmp_path):
    fcntl = pytest.importorskip("fcntl")
    server.files["/w.bin"] = PAYLOAD
    item = entry("w", [server.url("/w.bin")], sha=sha256(PAYLOAD))
    result: list = []
    with open(tmp_path / "w.bin.lock", "a") as other:  # another process is fetching w.bin
        fcntl.flock(other, fcntl.LOCK_EX)
        waiter = threading.Thread(target=lambda: result.append(download(item, tmp_path)))
        waiter.start()
        waiter.join(timeout=0.3)
        assert waiter.is_alive() and server.log == []  # blocked on the lock, not downloading
        (tmp_path / "w.bin").write_bytes(PAYLOAD)  # ... the other process finishes
        fcntl.flock(other, fcntl.LOCK_UN)
    waiter.join(timeout=30)
    assert result == [tmp_path / "w.bin"]
    assert server.log == []  # it found the finished file instead of downloading again
