"""Fetching model files: each source in turn, resumable, checked, and renamed into place only when whole.

Bytes stream into `FILE.part`. A later try resumes it with an HTTP Range request; a server that ignores
Range (answers 200) is read from the start again. When the transfer is complete (the server's
Content-Length) and its sha256 is right (published, or recorded at first download), `os.replace` moves it
onto the final name, so a half-written file never sits under the name the loaders open.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from engine.weights import drive
from engine.weights.cache import (
    cache_dir,
    expected_sha256,
    file_path,
    part_path,
    record_checksum,
    sha256_file,
)
from engine.weights.errors import ChecksumMismatch, DownloadFailed
from engine.weights.registry import WeightFile

MIRROR_ENV = "STYLECLIP_WEIGHTS_MIRROR"  # base URL tried before every other source
MIRROR_ONLY_ENV = "STYLECLIP_WEIGHTS_MIRROR_ONLY"  # "1": the mirror and nothing else (tests, air-gapped sites)
DRIVE_HOSTS = ("drive.google.com", "drive.usercontent.google.com")

BytesCallback = Callable[[int, int | None], object]  # (bytes so far, total or None), after every chunk

USER_AGENT = "styleclip-bot weights manager (python urllib)"
_CHUNK = 1 << 16
_MAX_PAGE = 1 << 20  # an interstitial HTML page is a few KB; never read a mislabelled huge file into memory
_MAX_HOPS = 3
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class _SourceError(Exception):
    """One source failed; the reason goes into the final error and the next source is tried."""


class _BadChecksum(_SourceError):
    pass


def sources(entry: WeightFile, environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """The URLs to try for `entry`, in order: the mirror, then other hosts, then Google Drive.

    Drive comes last because its daily quota per file is what most often stops a download. With
    `$STYLECLIP_WEIGHTS_MIRROR=BASE`, `BASE/<entry.filename>` comes first (mappers under `mappers/`);
    `$STYLECLIP_WEIGHTS_MIRROR_ONLY=1` leaves only that one.
    """
    env = os.environ if environ is None else environ
    base = env.get(MIRROR_ENV, "").strip().rstrip("/")
    if base:
        yield f"{base}/{entry.filename}"
        if env.get(MIRROR_ONLY_ENV, "") == "1":
            return
    yield from (url for url in entry.urls if not _is_drive(url))
    yield from (url for url in entry.urls if _is_drive(url))


def _is_drive(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in DRIVE_HOSTS


def ensure(entry: WeightFile, root: Path | None = None, **kwargs) -> Path:
    """The file's path, downloading it first if it is not in the cache (present files are not re-hashed)."""
    dest = file_path(entry, root)
    return dest if dest.is_file() else download(entry, root, **kwargs)


def download(
    entry: WeightFile,
    root: Path | None = None,
    *,
    force: bool = False,
    show_progress: bool | None = None,
    timeout: float = 30.0,
    on_bytes: BytesCallback | None = None,
) -> Path:
    """Put `entry` in the cache, from the first of its sources that works.

    A file already present is kept when it matches its sha256 (a file put there by hand, with no
    published checksum, is adopted and its sha256 recorded); a mismatching one is fetched again.

    Args:
        entry: the registry entry.
        root: the cache folder (default `cache_dir()`).
        force: fetch again even if a good copy is present.
        show_progress: progress bar on stderr; None = only when stderr is a terminal.
        timeout: seconds to wait for a server before giving up on that source.
        on_bytes: called with (bytes so far, total or None) as the file arrives, so a caller can show percent.

    Returns:
        The file's final path.

    Raises:
        ChecksumMismatch: a source delivered the whole file with the wrong sha256 and no source delivered it right.
        DownloadFailed: no source worked (offline, moved, quota); the message lists every URL and the path
            where the file can be put by hand.
    """
    root = root if root is not None else cache_dir()
    dest = file_path(entry, root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(dest):  # another process fetching the same file finishes first; then its copy is checked
        if dest.is_file() and not force:
            expected, actual = expected_sha256(entry, root), sha256_file(dest)
            if expected is None:
                record_checksum(root, entry.filename, actual)
                return dest
            if actual == expected:
                return dest
        return _download_locked(entry, root, dest, show_progress, timeout, on_bytes)


@contextlib.contextmanager
def _exclusive(dest: Path):
    """Hold an advisory lock on `dest.lock` (released by the OS if the process dies); no-op where unsupported."""
    try:
        import fcntl
    except ImportError:  # Windows: two simultaneous downloads of one file would race on the .part
        yield
        return
    with open(dest.with_name(dest.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_locked(
    entry: WeightFile, root: Path, dest: Path, show_progress: bool | None, timeout: float,
    on_bytes: BytesCallback | None,
) -> Path:
    """Try every source of `entry` in turn; see `download`."""
    part = part_path(dest)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())  # Drive sets a cookie with its page
    attempts: list[tuple[str, str]] = []
    mismatched = False
    for url in sources(entry):
        try:
            _fetch(opener, url, part, entry.filename, show_progress, timeout, on_bytes)
            _check(entry, root, part)
        except _BadChecksum as exc:
            mismatched = True
            attempts.append((url, str(exc)))
            continue
        except _SourceError as exc:
            attempts.append((url, str(exc)))
            continue
        except urllib.error.HTTPError as exc:
            attempts.append((url, f"HTTP {exc.code} {exc.reason}"))
            continue
        except urllib.error.URLError as exc:
            attempts.append((url, f"cannot connect: {exc.reason}"))
            continue
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, malformed responses
            attempts.append((url, f"{type(exc).__name__}: {exc}"))
            continue
        if entry.sha256 is None and expected_sha256(entry, root) is None:
            record_checksum(root, entry.filename, sha256_file(part))
        os.replace(part, dest)
        return dest
    raise (ChecksumMismatch if mismatched else DownloadFailed)(entry.name, entry.filename, dest, attempts)


def _check(entry: WeightFile, root: Path, part: Path) -> None:
    """Compare the completed `.part` with the expected sha256; a wrong file is deleted, never kept."""
    expected = expected_sha256(entry, root)
    if expected is None:
        return
    actual = sha256_file(part)
    if actual != expected:
        part.unlink()
        raise _BadChecksum(f"sha256 mismatch: got {actual}, expected {expected}; the download was discarded")


def _fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    part: Path,
    label: str,
    show_progress: bool | None,
    timeout: float,
    on_bytes: BytesCallback | None = None,
    hops: int = 0,
) -> None:
    """Stream `url` into `part`, resuming what is there; follows Drive's confirmation page."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is not a prefix the server recognises: start again
            part.unlink()
            return _fetch(opener, url, part, label, show_progress, timeout, on_bytes, hops)
        raise
    with response:
        if response.headers.get_content_type() == "text/html":
            page = response.read(_MAX_PAGE).decode("utf-8", "replace")
            next_url = drive.confirm_url(page, response.geturl())
            if next_url is None or hops >= _MAX_HOPS:
                raise _SourceError(
                    "the server sent a web page instead of the file (download quota exceeded, file moved or "
                    "not public?)"
                )
            return _fetch(opener, next_url, part, label, show_progress, timeout, on_bytes, hops + 1)
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                raise _SourceError(f"asked to resume at byte {offset}, the server answered from byte {start}")
            mode = "ab"
        else:  # 200: a fresh transfer, or a server that ignores Range; either way start from zero
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        received = offset
        from tqdm import tqdm  # the clip package depends on it too

        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                   disable=None if show_progress is None else not show_progress, file=sys.stderr, leave=True)
        try:
            with bar, open(part, mode) as out:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if on_bytes is not None:
                        on_bytes(received, total)
        except (OSError, http.client.HTTPException) as exc:
            raise _SourceError(
                f"connection lost after {received} bytes ({type(exc).__name__}); {part.name} is kept and the next "
                "download resumes it"
            ) from exc
    if total is not None and received != total:
        raise _SourceError(
            f"connection closed after {received} of {total} bytes; {part.name} is kept and the next download "
            "resumes it"
        )


def _content_range(value: str) -> tuple[int, int | None]:
    """(first byte, total size or None) from a `Content-Range: bytes a-b/total` header."""
    match = _CONTENT_RANGE.match(value.strip())
    if not match:
        raise _SourceError(f"malformed Content-Range header {value!r}")
    total = match.group(3)
    return int(match.group(1)), None if total == "*" else int(total)
