"""Typed errors of the weights manager, each with a message a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class WeightsError(RuntimeError):
    """Base class of every error the weights manager raises on purpose."""


class UnknownWeights(WeightsError, KeyError):
    """A name that is not in the registry."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"no model file named {name!r}; known names: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class DownloadFailed(WeightsError):
    """Every source of a file failed (offline, moved, or refused); says where to put the file by hand.

    Attributes:
        name: the registry name.
        dest: the exact path where the file belongs.
        attempts: (url, reason) for every URL tried, in order.
    """

    def __init__(self, name: str, filename: str, dest: Path, attempts: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.filename = filename
        self.dest = dest
        self.attempts = tuple(attempts)
        lines = [f"could not download {filename} ({name})."]
        if self.attempts:
            lines.append("Tried:")
            lines += [f"  {url}\n    -> {reason}" for url, reason in self.attempts]
        else:
            lines.append("No public download is known for it.")
        lines.append(
            f"If this machine is offline, download it elsewhere and put it at:\n  {dest}\n"
            f"then run `styleclip-bot weights verify {name}`."
        )
        super().__init__("\n".join(lines))


class ChecksumMismatch(DownloadFailed):
    """A file arrived whole but its sha256 is not the expected one; it was not kept."""
