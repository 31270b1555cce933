"""A bot process with STYLECLIP_ENGINE_URL: it edits through the remote engine and never imports torch or Ray
(both are made unimportable in its environment, so an import anywhere would end the run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.core.helpers import astronaut

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("torch", "torchvision", "ray", "clip", "dlib", "scipy")


def thin_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a thin bot: heavy packages shadowed by ones that fail on import."""
    poison = tmp_path / "forbidden"
    for name in FORBIDDEN:
        (poison / name).mkdir(parents=True, exist_ok=True)
        (poison / name / "__init__.py").write_text(f"raise ImportError('a thin bot imported {name}')\n")
    env = {**os.environ, "STYLECLIP_BOT_DATA_DIR": str(tmp_path), "STYLECLIP_HOME": str(tmp_path / "no-weights"),
           "PYTHONPATH": f"{poison}{os.pathsep}{ROOT}", "PYTHONWARNINGS": "ignore", **extra}
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL", "STYLECLIP_ENGINE_URL"):
        env.pop(var, None)
    env.update(extra)
    return env


def test_a_thin_bot_edits_through_the_remote_engine_without_torch(engine_server, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(astronaut())
    env = thin_environment(tmp_path, STYLECLIP_ENGINE_URL=engine_server.url, STYLECLIP_ENGINE_TOKEN=engine_server.token)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--out", str(tmp_path / "out")],
        input=f"/photo {photo}\npurple hair\nundo\n/quit\n", capture_output=True, text=True, cwd=tmp_path, env=env,
        timeout=180, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"Engine at {engine_server.url}: ready (demo-256)" in done.stdout
    assert "Demo mode" not in done.stdout  # the demo is the engine's business, not this process's
    written = [Path(p) for p in re.findall(r"picture: (.+\.png)$", done.stdout, flags=re.M)]
    assert len(written) >= 3 and all(p.is_file() for p in written)  # photo, purple hair, undo
    assert "Undone: purple hair" in done.stdout
    assert "a thin bot imported" not in done.stdout + done.stderr


def test_a_thin_bot_with_a_malformed_engine_url_stops_before_anything_starts(tmp_path):
    env = thin_environment(tmp_path, STYLECLIP_ENGINE_URL="engine:8000")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run"], input="", capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert "the engine URL must start with http:// or https://, not 'engine:8000'" in done.stdout
    assert not (tmp_path / "sessions.sqlite3").exists()


def test_a_thin_bot_whose_engine_is_away_says_so_and_answers_try_again(tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(astronaut())
    env = thin_environment(tmp_path, STYLECLIP_ENGINE_URL="http://127.0.0.1:9")  # nothing listens on port 9
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--out", str(tmp_path / "out")], input=f"/photo {photo}\n/quit\n",
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Engine at http://127.0.0.1:9 is not usable yet" in done.stdout
    assert "the picture engine is not answering right now" in done.stdout
