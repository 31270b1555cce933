"""The cache folder, verification states, and the registry itself."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from engine.weights import REGISTRY, State, UnknownWeights, cache_dir, get, select, verify
from engine.weights.cache import record_checksum
from tests.weights.helpers import PAYLOAD, entry, sha256

MAPPERS = ["afro", "angry", "beyonce", "bobcut", "bowlcut", "curly_hair", "depp", "hilary_clinton", "mohawk",
           "purple_hair", "surprised", "taylor_swift", "trump", "zuckerberg"]


def test_cache_dir_prefers_styleclip_home_then_xdg_then_home():
    assert cache_dir({"STYLECLIP_HOME": "/srv/w", "XDG_DATA_HOME": "/x"}) == Path("/srv/w")
    assert cache_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/styleclip-bot/weights")
    assert cache_dir({}) == Path.home() / ".local/share/styleclip-bot/weights"
    assert cache_dir({"STYLECLIP_HOME": "", "XDG_DATA_HOME": ""}) == Path.home() / ".local/share/styleclip-bot/weights"


def test_verify_reports_each_state(tmp_path):
    good = entry("good", [], sha=sha256(PAYLOAD))
    bad = entry("bad", [], sha=sha256(PAYLOAD))
    tofu_ok = entry("tofu_ok", [])
    tofu_bad = entry("tofu_bad", [])
    missing = entry("missing", [], sha=sha256(PAYLOAD))
    unverified = entry("unverified", [])
    for item in (good, tofu_ok, unverified):
        (tmp_path / item.filename).write_bytes(PAYLOAD)
    (tmp_path / bad.filename).write_bytes(PAYLOAD[:-1])
    (tmp_path / tofu_bad.filename).write_bytes(PAYLOAD[:-1])
    record_checksum(tmp_path, tofu_ok.filename, sha256(PAYLOAD))
    record_checksum(tmp_path, tofu_bad.filename, sha256(PAYLOAD))

    results = verify([good, bad, tofu_ok, tofu_bad, missing, unverified], tmp_path)
    assert [(r.entry.name, r.state) for r in results] == [
        ("good", State.OK), ("bad", State.MISMATCH), ("tofu_ok", State.OK),
        ("tofu_bad", State.MISMATCH), ("missing", State.MISSING), ("unverified", State.UNVERIFIED),
    ]
    assert results[1].sha256 == sha256(PAYLOAD[:-1]) and results[1].expected == sha256(PAYLOAD)
    assert results[4].path == tmp_path / "missing.bin" and results[4].sha256 is None


def test_select_by_name_file_name_or_group_in_the_order_asked():
    assert [e.name for e in select(["fs3", "mohawk.pt", "ViT-B-32.pt"])] == ["fs3", "mapper-mohawk", "clip-vit-b32"]
    assert [e.name for e in select(["mapper"])] == [f"mapper-{m}" for m in MAPPERS]
    assert len(select(["mapper-afro", "mapper"])) == len(MAPPERS)  # no duplicates
    assert select(None) == list(REGISTRY)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownWeights) as info:
        select(["stylegan3"])
    assert "'stylegan3'" in str(info.value) and "stylegan2-ffhq" in str(info.value)
    with pytest.raises(UnknownWeights):
        get("mapper")  # get takes exact names only, never a group
    assert get("e4e-ffhq").filename == "e4e_ffhq_encode.pt"


def test_registry_has_every_model_file_of_the_product():
    names = [e.name for e in REGISTRY]
    assert len(set(names)) == len(names) and len({e.filename for e in REGISTRY}) == len(REGISTRY)
    assert {"stylegan2-ffhq", "e4e-ffhq", "clip-vit-b32", "arcface-ir-se50", "fs3", "s-mean-std"} <= set(names)
    assert [e.name for e in REGISTRY if e.group == "mapper"] == [f"mapper-{m}" for m in MAPPERS]
    for e in REGISTRY:
        assert e.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", e.sha256), e.name
        assert all(url.startswith("https://") for url in e.urls), e.name
        assert e.urls or e.note, f"{e.name}: a file with no source must say how to get it"
    by_name = {e.name: e for e in REGISTRY}
    assert by_name["stylegan2-ffhq"].urls[-1].endswith("id=1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT")
    for name in ("stylegan2-ffhq", "e4e-ffhq", "arcface-ir-se50", "fs3"):  # a source beyond Drive's quota
        assert any("drive.google.com" not in url for url in by_name[name].urls), name
    assert by_name["stylegan2-ffhq"].filename == "stylegan2-ffhq-config-f.pt"


def test_clip_entry_matches_the_clip_package():
    clip_entry = {e.name: e for e in REGISTRY}["clip-vit-b32"]
    url = clip_entry.urls[0]
    assert url.split("/")[-2] == clip_entry.sha256  # openai/CLIP puts the sha256 in the path
    spec = importlib.util.find_spec("clip")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the clip package is not installed")
    source = (Path(next(iter(spec.submodule_search_locations))) / "clip.py").read_text()  # importing it takes seconds
    assert f'"ViT-B/32": "{url}"' in source
