"""Getting the model files in place on first run, and saying how far that has got.

`fetch_files` brings the first-run set (generator, e4e, CLIP, ArcFace, fs3: about 2.1 GB) into the cache,
each file with its own progress bar on the terminal; the 14 mappers come later, one by one, when a prompt
needs them. A `Preparation` records each file's outcome and the current stage and percent, so the chat
side can answer "getting the models ready: 37 %" while this runs in a background thread. Offline
(`--offline`, `STYLECLIP_OFFLINE=1`) nothing is fetched and `missing_message` says which files to place
where by hand.
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.weights import WeightsError, cache_dir, download, file_path, get
from engine.weights.download import sources

OFFLINE_ENV = "STYLECLIP_OFFLINE"
FIRST_RUN = ("stylegan2-ffhq", "e4e-ffhq", "clip-vit-b32", "arcface-ir-se50", "fs3")
REQUIRED = ("e4e-ffhq", "clip-vit-b32")  # the generator too, unless e4e's copy of it stands in


class Outcome(enum.Enum):
    """What became of one file at start."""

    PRESENT = "present"  # already in the cache (not re-hashed: `weights verify` does that)
    FETCHED = "fetched"  # downloaded now
    COMPUTED = "computed"  # made here (the StyleSpace statistics)
    MISSING = "missing"  # not here, and could not be had


@dataclass(frozen=True)
class FileStatus:
    name: str
    path: Path
    outcome: Outcome
    reason: str = ""  # why it is missing (the download error, or "offline")


class Preparation:
    """Where getting the models ready stands; written by one thread, read by any (the chat side)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stage = "starting"
        self._percent = 0.0
        self.files: dict[str, FileStatus] = {}

    def set_stage(self, stage: str, percent: float = 0.0) -> None:
        """Begin a stage ("downloading the models", "computing StyleSpace statistics", "loading the models")."""
        with self._lock:
            self._stage, self._percent = stage, percent

    def set_percent(self, percent: float) -> None:
        with self._lock:
            self._percent = max(0.0, min(100.0, percent))

    def snapshot(self) -> tuple[str, float]:
        """(stage, percent of that stage done)."""
        with self._lock:
            return self._stage, self._percent

    def record(self, status: FileStatus) -> None:
        with self._lock:
            self.files[status.name] = status

    def outcome(self, name: str) -> Outcome | None:
        status = self.files.get(name)
        return status.outcome if status else None

    def missing(self) -> list[FileStatus]:
        return [s for s in self.files.values() if s.outcome is Outcome.MISSING]


def offline_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """True when `STYLECLIP_OFFLINE` is set to 1 (or yes/true): use what is in the cache, fetch nothing."""
    env = os.environ if environ is None else environ
    return env.get(OFFLINE_ENV, "").strip().lower() in ("1", "yes", "true")


def fetch_files(
    names: Sequence[str] = FIRST_RUN,
    root: Path | None = None,
    *,
    offline: bool = False,
    preparation: Preparation | None = None,
    show_progress: bool | None = None,
    timeout: float = 30.0,
) -> Preparation:
    """Bring the named files into the cache; files already there are used as they are.

    A file that cannot be had is recorded as missing (with the reason) and the others are still fetched:
    the caller decides whether the engine can run without it.

    Args:
        names: registry names, in the order to fetch them.
        root: the cache folder (default `cache_dir()`).
        offline: fetch nothing; absent files are missing.
        preparation: where to record progress (a new one by default).
        show_progress: a progress bar per file on stderr; None = only when stderr is a terminal.
        timeout: seconds to wait for a server before trying the next source.
    """
    root = root if root is not None else cache_dir()
    prep = preparation or Preparation()
    entries = [get(name) for name in names]
    todo = [e for e in entries if not file_path(e, root).is_file()]
    for entry in entries:
        if entry not in todo:
            prep.record(FileStatus(entry.name, file_path(entry, root), Outcome.PRESENT))
    if not todo:
        return prep
    total = sum(e.approx_bytes for e in todo) or 1
    done_before = 0
    prep.set_stage("downloading the models")
    for entry in todo:
        dest = file_path(entry, root)
        if offline:
            prep.record(FileStatus(entry.name, dest, Outcome.MISSING, "offline: nothing is downloaded"))
            continue

        def on_bytes(received: int, size: int | None, before: int = done_before, approx: int = entry.approx_bytes):
            share = received / size if size else 0.0
            prep.set_percent(100.0 * (before + share * approx) / total)

        try:
            download(entry, root, show_progress=show_progress, timeout=timeout, on_bytes=on_bytes)
        except WeightsError as exc:
            prep.record(FileStatus(entry.name, dest, Outcome.MISSING, str(exc)))
        else:
            prep.record(FileStatus(entry.name, dest, Outcome.FETCHED))
        done_before += entry.approx_bytes
        prep.set_percent(100.0 * done_before / total)
    return prep


def missing_message(missing: Sequence[FileStatus], offline: bool = False) -> str:
    """What to tell a person: each missing file, where it belongs, and how to get it there by hand."""
    lines = ["These model files are missing:"]
    for status in missing:
        entry = get(status.name)
        lines.append(f"  {entry.filename} ({entry.name}), to be placed at {status.path}")
        urls = list(sources(entry))
        if urls:
            lines.append(
                f"    download it from {urls[0]}"
                + (f" (or {len(urls) - 1} other source(s): `styleclip-bot weights list`)" if len(urls) > 1 else "")
            )
        elif entry.note:
            lines.append(f"    {entry.note}")
    if offline:
        lines.append(
            f"Offline mode ({OFFLINE_ENV}=1 or --offline): nothing was downloaded. Copy the files to those "
            "paths, or run without --offline to fetch them."
        )
    else:
        lines.append(
            "Copy each file to its path by hand, or run `styleclip-bot weights download NAME` when the "
            "machine is online (set STYLECLIP_WEIGHTS_MIRROR=BASE_URL to use your own copy)."
        )
    lines.append("Or try the bot with small random models: --demo.")
    return "\n".join(lines)
