"""`styleclip-bot weights ...` through `bot.cli.main`, with a registry of small local files."""

from __future__ import annotations

import pytest

from bot.cli import main
from engine.weights import registry
from tests.weights.helpers import PAYLOAD, entry, sha256


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / "weights"
    monkeypatch.setenv("STYLECLIP_HOME", str(root))
    return root


@pytest.fixture
def files(server, closed_port, monkeypatch):
    """Three files: one served with a published sha256, one served without, one unreachable."""
    server.files["/a.bin"] = PAYLOAD
    server.files["/b.bin"] = PAYLOAD[::-1]
    items = (
        entry("alpha", [server.url("/a.bin")], sha=sha256(PAYLOAD)),
        entry("beta", [server.url("/b.bin")], filename="sub/beta.bin"),
        entry("gamma", [f"http://127.0.0.1:{closed_port}/g.bin"]),
    )
    monkeypatch.setattr(registry, "REGISTRY", items)
    return items


def test_path_prints_the_folder_or_one_file(home, files, capsys):
    assert main(["weights", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(home)
    assert main(["weights", "path", "beta"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "sub" / "beta.bin")


def test_download_named_files_then_list_and_verify(home, files, capsys):
    assert main(["weights", "download", "alpha", "beta"]) == 0
    out = capsys.readouterr().out
    assert f"ok  alpha  {home / 'alpha.bin'}" in out and f"ok  beta  {home / 'sub' / 'beta.bin'}" in out
    assert (home / "sub" / "beta.bin").read_bytes() == PAYLOAD[::-1]

    assert main(["weights", "list"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:-1]}
    assert rows["alpha"][4:6] == ["present", "sha256"] and rows["beta"][4:6] == ["present", "tofu"]
    assert rows["gamma"][4] == "-"

    assert main(["weights", "verify"]) == 0  # missing files are reported, not an error, when none is named
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["alpha", "ok"], ["beta", "ok"], ["gamma", "missing"]]
    assert lines[3:5] == ["", f"Models ({home}):"] and lines[-1].startswith("Device: ")


def test_verify_flags_a_corrupt_file_and_unverified_one(home, files, capsys):
    home.mkdir(parents=True)
    (home / "alpha.bin").write_bytes(b"not the weights")
    (home / "gamma.bin").write_bytes(b"put here by hand")
    assert main(["weights", "verify", "alpha", "gamma"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["alpha", "mismatch"] and "weights download alpha" in lines[0]
    assert lines[1].split()[:2] == ["gamma", "unverified"]


def test_verify_a_named_missing_file_fails(home, files, capsys):
    assert main(["weights", "verify", "beta"]) == 1
    assert capsys.readouterr().out.split()[:2] == ["beta", "missing"]


def test_download_offline_explains_what_to_do(home, files, capsys):
    assert main(["weights", "download", "gamma", "--timeout", "5"]) == 1
    captured = capsys.readouterr()
    assert "could not download gamma.bin" in captured.err
    assert files[2].urls[0] in captured.err and str(home / "gamma.bin") in captured.err


def test_download_everything_reports_failures_but_gets_the_rest(home, files, capsys):
    assert main(["weights", "download"]) == 1
    captured = capsys.readouterr()
    assert "ok  alpha" in captured.out and "ok  beta" in captured.out
    assert "1 of 3 file(s) not downloaded" in captured.err


def test_download_everything_skips_files_without_a_source(home, server, monkeypatch, capsys):
    server.files["/a.bin"] = PAYLOAD
    items = (entry("alpha", [server.url("/a.bin")]), entry("stats", []))
    monkeypatch.setattr(registry, "REGISTRY", items)
    assert main(["weights", "download"]) == 0
    out = capsys.readouterr().out
    assert "ok  alpha" in out and "skip stats" in out and str(home / "stats.bin") in out


def test_unknown_name_is_a_usage_error(home, files, capsys):
    assert main(["weights", "download", "delta"]) == 2
    assert "no model file named 'delta'" in capsys.readouterr().err
