"""The first run, end to end: an empty cache, a loopback mirror with small model files in the official
layouts, and `styleclip-bot run` (local chat) fetching them, computing the StyleSpace statistics, and
answering "make it cuter" with a global direction. Offline and e4e-only starts too."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.dialog import parse
from engine.service import build, models
from engine.weights import registry
from tests.core.helpers import astronaut
from tests.weights import model_files

MIRROR = "/mirror"


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    """Mirror path -> bytes of every first-run file but ArcFace (left out: optional, reported missing)."""
    g = model_files.generator()
    clip_bytes, clip_model = model_files.clip_file()
    edit = parse(model_files.CUTER)
    return {
        f"{MIRROR}/stylegan2-ffhq-config-f.pt": model_files.generator_file(g),
        f"{MIRROR}/e4e_ffhq_encode.pt": model_files.e4e_file(g),
        f"{MIRROR}/ViT-B-32.pt": clip_bytes,
        f"{MIRROR}/fs3.npy": model_files.fs3_file(g, clip_model, edit.target, edit.neutral),
    }


@pytest.fixture
def first_run(tmp_path, monkeypatch):
    """An empty cache, no chat platform, online through the mirror only, few statistics samples."""
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL", "STYLECLIP_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STYLECLIP_HOME", str(tmp_path / "weights"))
    monkeypatch.setattr(models, "STATISTICS_SAMPLES", 2048)
    # The tiny CLIP is not OpenAI's file: drop the published checksum (the others are recorded at first download).
    entries = tuple(dataclasses.replace(e, sha256=None) if e.name == "clip-vit-b32" else e for e in registry.REGISTRY)
    monkeypatch.setattr(registry, "REGISTRY", entries)
    engines = []
    real = build.build_engine

    def keep(**kwargs):
        engines.append(real(**kwargs))
        return engines[-1]

    monkeypatch.setattr(build, "build_engine", keep)
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(astronaut())
    return tmp_path / "weights", photo, engines


class Script(io.TextIOBase):
    """Standard input for the local chat: lines, and steps run between them (in the reading thread)."""

    def __init__(self, items: list) -> None:
        self.items = list(items)

    def readline(self, size: int = -1) -> str:
        while self.items and callable(self.items[0]):
            self.items.pop(0)()
        return f"{self.items.pop(0)}\n" if self.items else ""


def test_fresh_run_downloads_computes_statistics_and_edits_with_a_global_direction(
    server, files, first_run, monkeypatch, capsys
):
    root, photo, engines = first_run
    server.files.update(files)
    server.gate = threading.Event()  # the downloads wait until the chat has seen the "getting ready" answer
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR", server.url(MIRROR))
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR_ONLY", "1")

    def models_ready() -> None:
        server.gate.set()
        engines[0]._loader.join(300)

    script = Script([f"/photo {photo}", models_ready, f"/photo {photo}", model_files.CUTER])
    monkeypatch.setattr(sys, "stdin", script)
    assert main(["run", "--out", str(root.parent / "out")]) == 0
    out = capsys.readouterr().out

    first_answer = out.split("bot: ")[2]
    assert first_answer.startswith("Getting the models ready: ") and "%" in first_answer
    report = out[out.index(f"Models ({root}):") :]
    rows = {line.split()[0]: line.split()[2] for line in report.splitlines()[1:7]}
    assert rows == {
        "generator": "fetched",
        "encoder": "fetched",
        "CLIP": "fetched",
        "ArcFace": "missing",
        "fs3": "fetched",
        "statistics": "computed",
    }
    assert "global direction on" in report and "without the identity loss" in report
    assert "(global direction, 30 channels" in out
    assert len(re.findall(r"picture: (.+\.png)$", out, flags=re.M)) == 2  # the photo, then the edit

    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert [n for n in names if not n.endswith(".lock")] == [
        "S_mean_std",
        "ViT-B-32.pt",
        "checksums.json",
        "e4e_ffhq_encode.pt",
        "fs3.npy",
        "stylegan2-ffhq-config-f.pt",
    ]
    assert {r.path for r in server.log} <= {*files, f"{MIRROR}/model_ir_se50.pth"}  # the mirror and nothing else


def test_ending_the_chat_during_the_first_download_does_not_wait_for_it(server, files, first_run, monkeypatch):
    root, _, engines = first_run
    server.files.update(files)
    server.gate = threading.Event()  # the first file never arrives while the chat runs
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR", server.url(MIRROR))
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR_ONLY", "1")
    monkeypatch.setattr(sys, "stdin", Script([]))  # Ctrl-D at once
    try:
        assert main(["run", "--out", str(root.parent / "out")]) == 0
        assert engines[0]._loader.is_alive()  # still downloading: the chat did not wait for it
        assert not (root / "stylegan2-ffhq-config-f.pt").exists()
    finally:
        server.gate.set()  # let it finish here, with this test's mirror, before the fixtures go
        engines[0]._loader.join(300)


def test_offline_edit_names_each_missing_file_and_its_path(first_run, monkeypatch, capsys):
    root, photo, _ = first_run
    assert main(["edit", str(photo), model_files.CUTER, "--offline", "--device", "cpu"]) == 2
    out = capsys.readouterr().out
    for name in ("e4e_ffhq_encode.pt", "ViT-B-32.pt"):
        assert f"to be placed at {root / name}" in out
    assert "stylegan2-ffhq-config-f.pt" in out  # without e4e, the generator is needed too
    assert "Offline mode" in out and "drive.google.com" not in out.split("Offline mode")[1]
    assert not root.exists() or not any(root.rglob("*.part"))


def test_generator_comes_from_e4e_when_its_own_file_is_missing(files, tmp_path, monkeypatch, caplog):
    for name in ("e4e_ffhq_encode.pt", "ViT-B-32.pt"):
        (tmp_path / name).write_bytes(files[f"{MIRROR}/{name}"])
    caplog.set_level(logging.INFO)
    loaded = models.load_models(tmp_path, "cpu")
    assert loaded.generator.img_resolution == model_files.RESOLUTION
    assert "using the generator e4e carries" in caplog.text
    assert loaded.editor.tables is None  # no fs3: no statistics computed either
    assert not Path(tmp_path / "S_mean_std").exists()
