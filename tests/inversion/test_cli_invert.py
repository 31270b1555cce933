"""`styleclip-bot invert` through the CLI entry point."""

from __future__ import annotations

import skimage.data
from PIL import Image

from bot.cli import main


def test_aligns_a_photo_and_saves_the_crop(tmp_path, capsys):
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(skimage.data.astronaut()).save(photo, quality=92)
    assert main(["invert", str(photo), "--out", str(tmp_path / "out")]) == 0
    crop = Image.open(tmp_path / "out" / "astronaut_aligned.png")
    assert crop.size == (256, 256)
    out = capsys.readouterr().out
    assert "astronaut_aligned.png" in out and "detect" in out


def test_explains_what_is_wrong(tmp_path, capsys):
    cat = tmp_path / "cat.png"
    Image.fromarray(skimage.data.chelsea()).save(cat)
    assert main(["invert", str(cat), "--out", str(tmp_path)]) == 1
    assert "couldn't find a face" in capsys.readouterr().out
    bad_encoder = tmp_path / "e4e.pt"
    bad_encoder.write_bytes(b"not a checkpoint")
    assert main(["invert", str(cat), "--encoder", str(bad_encoder), "--out", str(tmp_path)]) == 2
    assert "not a readable PyTorch checkpoint" in capsys.readouterr().out
