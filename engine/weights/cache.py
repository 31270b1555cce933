"""Where model files live on disk, and how we know they are the right bytes.

The cache is one folder: `$STYLECLIP_HOME` if set, else `$XDG_DATA_HOME/styleclip-bot/weights`
(`~/.local/share/styleclip-bot/weights` by default). Beside the files, `checksums.json` holds the
sha256 recorded at first download for files whose authors published none, so later checks can catch
a corrupted or swapped file.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.weights.registry import WeightFile

CHECKSUMS_FILE = "checksums.json"
_CHUNK = 1 << 20


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The weights folder (not created here).

    Args:
        environ: the environment to read (default `os.environ`).
    """
    env = os.environ if environ is None else environ
    if env.get("STYLECLIP_HOME"):
        return Path(env["STYLECLIP_HOME"]).expanduser()
    data_home = Path(env["XDG_DATA_HOME"]).expanduser() if env.get("XDG_DATA_HOME") else Path.home() / ".local/share"
    return data_home / "styleclip-bot" / "weights"


def file_path(entry: WeightFile, root: Path | None = None) -> Path:
    """Where `entry` belongs in the cache."""
    return (root if root is not None else cache_dir()) / entry.filename


def part_path(dest: Path) -> Path:
    """The partial download beside `dest`; it is resumed, then renamed onto `dest` when complete."""
    return dest.with_name(dest.name + ".part")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (files here are up to ~1.2 GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def recorded_checksums(root: Path) -> dict[str, str]:
    """filename -> sha256 recorded at first download."""
    path = root / CHECKSUMS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # a damaged record only loses the trust-on-first-use checks; files report "unverified"
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_checksum(root: Path, filename: str, sha256: str) -> None:
    """Remember `sha256` for `filename` (written atomically)."""
    data = recorded_checksums(root)
    data[filename] = sha256
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / (CHECKSUMS_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, root / CHECKSUMS_FILE)


def expected_sha256(entry: WeightFile, root: Path) -> str | None:
    """The published sha256, else the one recorded at first download, else None."""
    return entry.sha256 or recorded_checksums(root).get(entry.filename)


class State(enum.Enum):
    """What `verify` found for one file."""

    OK = "ok"  # present and matches the published or recorded sha256
    MISMATCH = "mismatch"  # present but its sha256 differs: corrupt or a different file
    MISSING = "missing"  # not in the cache
    UNVERIFIED = "unverified"  # present, but no sha256 is published or recorded to compare with


@dataclass(frozen=True)
class Check:
    """One file's verification result."""

    entry: WeightFile
    path: Path
    state: State
    sha256: str | None = None  # what the file hashed to (None when missing)
    expected: str | None = None


def verify(entries: Sequence[WeightFile], root: Path | None = None) -> list[Check]:
    """Hash every present file and compare with its published or recorded sha256."""
    root = root if root is not None else cache_dir()
    results = []
    for entry in entries:
        path = file_path(entry, root)
        expected = expected_sha256(entry, root)
        if not path.is_file():
            results.append(Check(entry, path, State.MISSING, expected=expected))
            continue
        actual = sha256_file(path)
        if expected is None:
            state = State.UNVERIFIED
        elif actual == expected:
            state = State.OK
        else:
            state = State.MISMATCH
        results.append(Check(entry, path, state, sha256=actual, expected=expected))
    return results
