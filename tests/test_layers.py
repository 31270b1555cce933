"""Architecture rules of DESIGN.md that a refactor could quietly break."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engine_never_imports_bot():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m == "bot" or m.startswith("bot."))
        for path in (ROOT / "engine").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


TORCH_FREE_ENGINE = {"engine", "engine.errors", "engine.interface", "engine.values"}


def test_the_bot_core_speaks_to_the_engine_only_through_its_torch_free_modules():
    """What a thin bot process (remote engine) runs: the core, the dialog and the sessions; they may use the
    engine's values, errors and interface and the photo helpers, nothing that needs torch."""
    offenders = {}
    for folder in ("bot/core", "bot/dialog", "bot/sessions"):
        for path in (ROOT / folder).rglob("*.py"):
            engine_imports = {m for m in imported_modules(path) if m == "engine" or m.startswith("engine.")}
            bad = sorted(m for m in engine_imports if m not in TORCH_FREE_ENGINE and not m.startswith("engine.photos"))
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_the_torch_free_engine_modules_do_not_import_torch():
    for module in ("engine/errors.py", "engine/interface.py", "engine/values.py", *(
        str(p.relative_to(ROOT)) for p in (ROOT / "engine/photos").glob("*.py")
    )):
        heavy = {m for m in imported_modules(ROOT / module) if m.split(".")[0] in {"torch", "ray", "clip", "dlib"}}
        engine_deps = {m for m in imported_modules(ROOT / module) if m.startswith("engine.")}
        assert not heavy, module
        assert all(m in TORCH_FREE_ENGINE or m.startswith("engine.photos") for m in engine_deps), (module, engine_deps)
