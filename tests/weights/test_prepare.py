"""First-run fetching: outcomes per file, progress in percent, offline, interruptions, and the ready report."""

from __future__ import annotations

import pytest

from engine.service.prepare import (
    FileStatus,
    Outcome,
    Preparation,
    fetch_files,
    missing_message,
    offline_from_env,
)
from engine.service.report import ready_report
from engine.weights import registry
from engine.weights.cache import part_path
from tests.weights.helpers import PAYLOAD, entry, sha256


@pytest.fixture
def three(server, closed_port, monkeypatch):
    """One file already in the cache, one served, one whose only source refuses connections."""
    server.files["/b.bin"] = PAYLOAD
    items = (
        entry("alpha", [server.url("/a.bin")]),
        entry("beta", [server.url("/b.bin")], sha=sha256(PAYLOAD)),
        entry("gamma", [f"http://127.0.0.1:{closed_port}/g.bin"]),
    )
    monkeypatch.setattr(registry, "REGISTRY", items)
    return items


def test_fetch_records_present_fetched_and_missing(three, server, tmp_path):
    (tmp_path / "alpha.bin").write_bytes(b"put here by hand")
    percents: list[float] = []

    class Watched(Preparation):
        def set_percent(self, percent: float) -> None:
            super().set_percent(percent)
            percents.append(self.snapshot()[1])

    prep = fetch_files(["alpha", "beta", "gamma"], tmp_path, preparation=Watched())
    assert {n: s.outcome for n, s in prep.files.items()} == {
        "alpha": Outcome.PRESENT,
        "beta": Outcome.FETCHED,
        "gamma": Outcome.MISSING,
    }
    assert (tmp_path / "beta.bin").read_bytes() == PAYLOAD
    assert (tmp_path / "alpha.bin").read_bytes() == b"put here by hand"  # used as it is, never fetched again
    assert [r.path for r in server.log] == ["/b.bin"]
    assert "cannot connect" in prep.files["gamma"].reason
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert 0 < percents[0] < 100
    assert prep.snapshot()[0] == "downloading the models"


def test_offline_fetches_nothing_and_names_each_file_and_its_path(three, server, tmp_path):
    prep = fetch_files(["alpha", "beta", "gamma"], tmp_path, offline=True)
    assert server.log == []
    assert [s.name for s in prep.missing()] == ["alpha", "beta", "gamma"]
    message = missing_message(prep.missing(), offline=True)
    for item in three:
        assert f"{item.filename} ({item.name}), to be placed at {tmp_path / item.filename}" in message
    assert server.url("/b.bin") in message and "--offline" in message
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_interrupted_fetch_keeps_only_the_part_and_the_next_start_resumes(three, server, tmp_path):
    server.truncate_at = 4000
    prep = fetch_files(["beta"], tmp_path)
    assert prep.outcome("beta") is Outcome.MISSING and "resumes it" in prep.files["beta"].reason
    assert not (tmp_path / "beta.bin").exists()
    assert part_path(tmp_path / "beta.bin").stat().st_size == 4000

    server.truncate_at = None
    assert fetch_files(["beta"], tmp_path).outcome("beta") is Outcome.FETCHED
    assert (tmp_path / "beta.bin").read_bytes() == PAYLOAD
    assert server.log[-1].range == "bytes=4000-"


@pytest.mark.parametrize(("value", "offline"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_offline_from_env(value, offline):
    assert offline_from_env({"STYLECLIP_OFFLINE": value}) is offline


def test_ready_report_names_models_methods_and_device(tmp_path):
    for name in ("e4e_ffhq_encode.pt", "ViT-B-32.pt", "fs3.npy", "mappers/mohawk.pt", "mappers/afro.pt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    prep = Preparation()
    prep.record(FileStatus("clip-vit-b32", tmp_path / "ViT-B-32.pt", Outcome.FETCHED))
    report = ready_report(tmp_path, prep, device="cpu")
    lines = report.splitlines()
    assert lines[0] == f"Models ({tmp_path}):"
    rows = {line.split()[0]: line.split()[2:] for line in lines[1:7]}
    assert rows["generator"][:3] == ["missing", "(the", "e4e"]
    assert rows["encoder"] == ["present"] and rows["CLIP"] == ["fetched"] and rows["ArcFace"] == ["missing"]
    assert rows["statistics"][:3] == ["missing", "(computed", "at"]
    assert "latent mappers 2 of 14 installed" in report
    assert "global direction on" in report
    assert "latent optimization without the identity loss" in report
    assert lines[-1] == "Device: cpu"


def test_ready_report_without_fs3_says_global_direction_is_off(tmp_path):
    (tmp_path / "model_ir_se50.pth").write_bytes(b"x")
    report = ready_report(tmp_path)
    assert "global direction off" in report and "with the identity loss" in report
    assert "latent mappers 0 of 14" in report
