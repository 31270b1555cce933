"""The ready report: a few lines at start saying which models are here and which editing methods are on.

Printed when `styleclip-bot run` starts and by `styleclip-bot weights verify`, so a person sees at once
why a prompt would fall to the slow method (no global-direction table, no mapper for it) before asking.
It reads the cache folder only (no hashing, no loading).
"""

from __future__ import annotations

from pathlib import Path

from engine.editing.registry import RELEASED_MAPPERS
from engine.service.prepare import FIRST_RUN, Outcome, Preparation
from engine.weights import cache_dir, file_path, get, names

STATISTICS = "s-mean-std"
_LABELS = {
    "stylegan2-ffhq": "generator",
    "e4e-ffhq": "encoder",
    "clip-vit-b32": "CLIP",
    "arcface-ir-se50": "ArcFace",
    "fs3": "fs3 table",
    STATISTICS: "statistics",
}


def ready_report(root: Path | None = None, preparation: Preparation | None = None, device: str = "cpu") -> str:
    """The report's lines, joined.

    Args:
        root: the cache folder (default `cache_dir()`).
        preparation: outcomes of this start (fetched / computed); without one, files are present or missing.
        device: the torch device the engine runs on.
    """
    root = root if root is not None else cache_dir()
    known = set(names())
    here = {name: name in known and file_path(get(name), root).is_file() for name in (*FIRST_RUN, STATISTICS)}
    lines = [f"Models ({root}):"]
    for name, present in here.items():
        if name not in known:
            continue
        outcome = preparation.outcome(name) if preparation else None
        if outcome is None or (outcome is Outcome.MISSING and present):
            outcome = Outcome.PRESENT if present else Outcome.MISSING
        note = _note(name, outcome, here)
        lines.append(f"  {_LABELS[name]:<10} {get(name).filename:<28} {outcome.value}{note}")
    mappers = installed_mappers(root)
    lines.append(
        f"Methods: latent mappers {len(mappers)} of {len(RELEASED_MAPPERS)} installed"
        " (the others download when a prompt needs one);"
    )
    direction = here["fs3"] and (here[STATISTICS] or here["stylegan2-ffhq"] or here["e4e-ffhq"])
    lines.append(f"  global direction {'on' if direction else 'off (no fs3 table)'};")
    identity = "with" if here["arcface-ir-se50"] else "without"
    lines.append(f"  latent optimization {identity} the identity loss.")
    lines.append(f"Device: {device}")
    return "\n".join(lines)


def installed_mappers(root: Path) -> list[str]:
    """Names of the mapper files in the cache."""
    folder = root / "mappers"
    return sorted(p.stem for p in folder.glob("*.pt")) if folder.is_dir() else []


def _note(name: str, outcome: Outcome, here: dict[str, bool]) -> str:
    if outcome is not Outcome.MISSING:
        return ""
    if name == "stylegan2-ffhq" and here["e4e-ffhq"]:
        return " (the e4e file's decoder stands in)"
    if name == STATISTICS:
        return " (computed at first load)" if here["fs3"] else ""
    return ""
