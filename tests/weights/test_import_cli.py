"""`styleclip-bot weights import FILE`: NVIDIA pickles into the generator file, through `bot.cli.main`."""

from __future__ import annotations

import json
import pickle

import pytest

from bot.cli import main
from engine.stylegan2 import load_generator
from engine.weights import sha256_file
from tests.stylegan2.nvidia_pickles import ada_tensors, tf_variables, write_ada_pickle, write_tf_pickle

CHANNELS = {4: 8, 8: 8, 16: 6}


@pytest.fixture(scope="module")
def pickles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pkl")
    variables = tf_variables(16, CHANNELS, 8, 2, seed=5)
    return {
        "tf": write_tf_pickle(folder / "stylegan2-small-config-f.pkl", variables, folder / "ran", 16),
        "ada": write_ada_pickle(folder / "small-ada.pkl", ada_tensors(variables), folder / "ran"),
    }


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / "weights"
    monkeypatch.setenv("STYLECLIP_HOME", str(root))
    return root


def test_import_to_a_file_prints_what_it_converted(pickles, tmp_path, home, capsys):
    out = tmp_path / "ada.pt"
    assert main(["weights", "import", str(pickles["ada"]), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "PyTorch pickle" in printed and "G_ema" in printed and "clamps its activations to ±256" in printed
    assert "StyleGAN2 generator, 16 px, 2 mapping layers" in printed
    assert f"wrote {out}" in printed and "styleclip-bot directions" in printed
    assert load_generator(out).img_resolution == 16
    assert not home.exists()  # nothing written to the cache


def test_import_defaults_to_the_generator_in_the_cache(pickles, home, capsys):
    assert main(["weights", "import", str(pickles["tf"])]) == 0
    dest = home / "stylegan2-ffhq-config-f.pt"
    assert f"wrote {dest}" in capsys.readouterr().out
    assert load_generator(dest).img_resolution == 16
    recorded = json.loads((home / "checksums.json").read_text())
    assert recorded == {"stylegan2-ffhq-config-f.pt": sha256_file(dest)}


def test_import_refuses_to_overwrite_without_force(pickles, tmp_path, home, capsys):
    out = tmp_path / "g.pt"
    out.write_bytes(b"keep me")
    assert main(["weights", "import", str(pickles["tf"]), "-o", str(out)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["weights", "import", str(pickles["tf"]), "-o", str(out), "--force"]) == 0
    assert load_generator(out).img_resolution == 16


class Evil:
    def __reduce__(self):
        return (exec, ("raise SystemExit('ran')",))


def test_import_refuses_a_pickle_that_carries_code(tmp_path, home, capsys):
    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps({"G_ema": Evil()}))
    assert main(["weights", "import", str(bad), "-o", str(tmp_path / "g.pt")]) == 2
    err = capsys.readouterr().err
    assert "builtins.exec" in err and "refused" in err
    assert not (tmp_path / "g.pt").exists()


def test_import_of_a_missing_file_is_a_clear_error(tmp_path, home, capsys):
    assert main(["weights", "import", str(tmp_path / "nope.pkl"), "-o", str(tmp_path / "g.pt")]) == 2
    assert "no such file" in capsys.readouterr().err
