"""Mappers on demand: a prompt for a released mapper that is not installed takes the next method, says so,
and fetches the mapper in the background; the next such prompt uses it."""

from __future__ import annotations

import io

import numpy as np
import torch

from bot.core import wording
from engine.editing import RELEASED_MAPPERS, Editor, Instruction, MapperRegistry
from engine.service import EditResult, Step
from engine.service.mapper_fetch import MapperFetcher
from engine.stylegan2 import Generator, GeneratorConfig
from engine.values import EditRoute, Method, StepKind
from tests.editing.conftest import BagOfWordsCLIP
from tests.manifests import state_dict_from_manifest


def generator_18() -> Generator:
    """The 1024 px W+ layout (18 levels of 512) with 4 channels per layer: what a released mapper edits."""
    torch.manual_seed(1)
    g = Generator(GeneratorConfig(1024, {2**i: 4 for i in range(2, 11)}, w_dim=512))
    g.w_avg.copy_(g.mean_w(64))
    return g.eval().requires_grad_(False)


def mapper_bytes() -> bytes:
    buf = io.BytesIO()
    torch.save({"state_dict": state_dict_from_manifest("mapper_18"), "opts": {}}, buf)
    return buf.getvalue()


def test_missing_mapper_is_fetched_for_next_time_then_used(server, tmp_path, monkeypatch):
    server.files["/mirror/mappers/mohawk.pt"] = mapper_bytes()
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR", server.url("/mirror"))
    monkeypatch.setenv("STYLECLIP_WEIGHTS_MIRROR_ONLY", "1")
    mappers = MapperRegistry.from_folder(tmp_path / "mappers", known=RELEASED_MAPPERS)
    fetcher = MapperFetcher(mappers, tmp_path)
    mappers.fetch = fetcher
    editor = Editor(generator_18(), BagOfWordsCLIP(), mappers=mappers)
    assert len(mappers) == 0 and "mohawk" in mappers.missing

    first = editor.route(Instruction("give him a mohawk"))
    assert first.method == "optimization" and first.pending_mapper == "mohawk"
    fetcher.wait(60)
    assert "mohawk" in mappers and "mohawk" not in mappers.missing
    assert (tmp_path / "mappers" / "mohawk.pt").is_file()
    assert [r.path for r in server.log] == ["/mirror/mappers/mohawk.pt"]

    second = editor.route(Instruction("give him a mohawk"))
    assert second.method == "mapper" and second.mapper == "mohawk" and second.pending_mapper is None
    w = editor.generator.broadcast(editor.generator.w_avg[None])[0]
    assert editor.apply(w, Instruction("give him a mohawk"), second).w_step is not None


def test_without_a_fetcher_nothing_is_downloaded(server, tmp_path):
    mappers = MapperRegistry.from_folder(tmp_path / "mappers", known=RELEASED_MAPPERS)
    editor = Editor(generator_18(), BagOfWordsCLIP(), mappers=mappers)
    assert editor.route(Instruction("mohawk")).pending_mapper == "mohawk"
    assert server.log == [] and not (tmp_path / "mappers").exists()


def test_a_prompt_no_known_mapper_serves_has_no_pending_mapper(tmp_path):
    mappers = MapperRegistry.from_folder(tmp_path / "mappers", known=RELEASED_MAPPERS)
    route = Editor(generator_18(), BagOfWordsCLIP(), mappers=mappers).route(Instruction("a wide smile"))
    assert route.pending_mapper is None


def test_the_answer_says_the_mapper_is_on_its_way():
    route = EditRoute(method=Method.GLOBAL_DIRECTION, channels=40, beta=0.15, alpha=4.1, pending_mapper="mohawk")
    result = EditResult(
        Step(StepKind.STYLE, np.zeros(3, np.float32), Method.GLOBAL_DIRECTION),
        route,
        "global direction: 40 channels at β=0.15",
        4.1,
        "mohawk",
        0.1,
    )
    text = wording.edited("give him a mohawk", result)
    assert text.endswith("; mapper 'mohawk' is not here yet: downloading it for next time)")
    assert "global direction, 40 channels" in text
