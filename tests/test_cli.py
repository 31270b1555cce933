"""The `styleclip-bot` command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from bot.cli import main
from tests.manifests import state_dict_from_manifest, vectors


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "run the bot on every platform whose token is set" in out
    assert "render" in out


def test_no_subcommand_prints_help(capsys):
    assert main([]) == 0
    assert "usage: styleclip-bot" in capsys.readouterr().out


def test_run_creates_the_database_then_says_what_to_set(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "TELEGRAM_BOT_TOKEN" in out and "DISCORD_BOT_TOKEN" in out
    assert (tmp_path / "sessions.sqlite3").is_file()
    assert str(tmp_path / "sessions.sqlite3") in out


def test_run_with_a_bad_database_url_is_a_clear_error(capsys):
    assert main(["run", "--database-url", "nonsense://"]) == 2
    assert capsys.readouterr().out.startswith("error: ")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "g.pt"
    latent_avg = torch.from_numpy(vectors("stylegan2_64")["latent_avg"])
    torch.save({"g_ema": state_dict_from_manifest("stylegan2_64"), "latent_avg": latent_avg}, path)
    return path


def test_render_writes_one_png_per_seed(checkpoint, tmp_path, capsys):
    assert main(["render", str(checkpoint), "--seeds", "3", "4", "--out", str(tmp_path), "--device", "cpu"]) == 0
    first, second = Image.open(tmp_path / "seed0003.png"), Image.open(tmp_path / "seed0004.png")
    assert first.size == (64, 64) and first.mode == "RGB"
    assert first.tobytes() != second.tobytes()


def test_render_preview_size(checkpoint, tmp_path):
    args = ["render", str(checkpoint), "--preview", "16", "--out", str(tmp_path), "--device", "cpu"]
    assert main(args) == 0
    assert Image.open(tmp_path / "seed0000.png").size == (16, 16)


def test_render_bad_checkpoint_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    assert main(["render", str(bad), "--out", str(tmp_path), "--device", "cpu"]) == 2
    assert "not a readable PyTorch checkpoint" in capsys.readouterr().out


@pytest.fixture(scope="module")
def astronaut_jpeg(tmp_path_factory):
    from skimage import data

    path = tmp_path_factory.mktemp("photos") / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=95)
    return path


def test_edit_demo_runs_the_whole_path_and_says_how(astronaut_jpeg, tmp_path, capsys):
    from skimage import data

    wide = np.full((600, 900, 3), 90, np.uint8)
    wide[40:552, 300:812] = data.astronaut()  # a photo larger than the face, the face off-centre
    photo = tmp_path / "wide.png"
    Image.fromarray(wide).save(photo)
    out = tmp_path / "mohawk.png"
    assert main(["edit", str(photo), "please give him a mohawk", "--demo", "-o", str(out), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "demo mode" in printed and "means nothing" in printed
    assert "mapper 'mohawk'" in printed
    edited = np.asarray(Image.open(out).convert("RGB"))
    assert edited.shape == wide.shape  # the whole photo, at its own size
    assert np.array_equal(edited[:, :250], wide[:, :250]) and np.array_equal(edited[400:], wide[400:])
    assert not np.array_equal(edited[120:210, 480:560], wide[120:210, 480:560])  # the face changed

    face = tmp_path / "face.jpg"
    assert main(["edit", str(astronaut_jpeg), "give him a mohawk", "--demo", "--face", "-o", str(face),
                 "--device", "cpu"]) == 0
    assert Image.open(face).size == (256, 256) and Image.open(face).format == "JPEG"


def test_edit_refuses_kindly(astronaut_jpeg, tmp_path, capsys):
    cat = tmp_path / "cat.jpg"
    from skimage import data

    Image.fromarray(data.chelsea()).save(cat)
    assert main(["edit", str(cat), "smile", "--demo", "--device", "cpu"]) == 1
    assert "sorry" in capsys.readouterr().out
    assert main(["edit", str(astronaut_jpeg), "undo", "--demo", "--device", "cpu"]) == 1
    assert "chat command" in capsys.readouterr().out
    assert main(["edit", str(astronaut_jpeg), "   ", "--demo", "--device", "cpu"]) == 1
    assert main(["edit", str(tmp_path / "missing.jpg"), "smile", "--demo"]) == 2
