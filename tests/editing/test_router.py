import pytest
import torch

from engine.editing import (
    RELEASED_MAPPERS,
    DirectionTables,
    Instruction,
    MapperRegistry,
    MapperSpec,
    Router,
    TextEncoder,
    standard_torgb_pattern,
)

RELEASED_NAMES = {"afro", "angry", "beyonce", "bobcut", "bowlcut", "curly_hair", "depp", "hilary_clinton",
                  "mohawk", "purple_hair", "surprised", "taylor_swift", "trump", "zuckerberg"}


def _tables(dt: torch.Tensor, aligned: int, other: torch.Tensor, relevance: float = 0.5) -> DirectionTables:
    """fs3 for 3 layers of 64 channels (2 manipulated = 128 rows): `aligned` rows score `relevance` on dt,
    the rest are orthogonal to both dt and `other`."""
    gen = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.stack([dt, other], 1))[0]                  # [D, 2]
    noise = torch.randn(128, dt.numel(), generator=gen)
    noise = noise - (noise @ basis) @ basis.T
    noise = torch.nn.functional.normalize(noise, dim=1)
    fs3 = noise.clone()
    fs3[:aligned] = relevance * dt + (1 - relevance**2) ** 0.5 * noise[:aligned]
    stds = [torch.ones(64)] * 3
    return DirectionTables(fs3, [torch.zeros(64)] * 3, stds, standard_torgb_pattern(3))


@pytest.fixture()
def encoder(bow_clip):
    return TextEncoder(bow_clip)


@pytest.fixture()
def registry(tmp_path):
    (tmp_path / "mohawk.pt").write_bytes(b"")
    (tmp_path / "purple_hair.pt").write_bytes(b"")
    return MapperRegistry.from_folder(tmp_path)


def test_released_mapper_registry():
    assert set(RELEASED_MAPPERS) == RELEASED_NAMES
    mohawk = RELEASED_MAPPERS["mohawk"]
    assert mohawk.text == "mohawk hairstyle" and "give him a mohawk" in mohawk.aliases and not mohawk.fine


def test_mapper_by_alias(encoder, registry):
    router = Router(encoder, registry)
    for phrase in ("Give him a MOHAWK!", "mohawk", "mohawk hairstyle"):
        route = router.route(Instruction(phrase))
        assert route.method == "mapper" and route.mapper == "mohawk"
        assert route.reason == f"mapper 'mohawk': '{phrase}' names it"
    assert registry.by_alias("afro") is None        # released, but not installed here


def test_mapper_by_text_similarity(encoder, registry):
    router = Router(encoder, registry, similarity_threshold=0.8)
    route = router.route(Instruction("very purple hair"))
    assert route.method == "mapper" and route.mapper == "purple_hair"
    assert route.similarity >= 0.8
    assert route.reason == f"mapper 'purple_hair': text similarity {route.similarity:.2f} ≥ 0.8 to 'purple hair'"


def test_global_direction_with_channel_count_and_beta(encoder, registry):
    dt = encoder.direction("face with a beard", "face")
    other = encoder.direction("face with a hat", "face")
    router = Router(encoder, registry, tables=_tables(dt, aligned=37, other=other))
    route = router.route(Instruction("face with a beard"))
    assert route.method == "global_direction"
    assert route.reason == "global direction: 37 channels at β=0.15"
    assert (route.beta, route.num_channels) == (0.15, 37)


def test_beta_search_lowers_beta_for_weak_directions(encoder):
    dt = encoder.direction("face with a beard", "face")
    other = encoder.direction("face with a hat", "face")
    tables = _tables(dt, aligned=20, other=other, relevance=0.115)      # passes β ≤ 0.11 only
    route = Router(encoder, None, tables).route(Instruction("face with a beard"))
    assert route.method == "global_direction" and route.reason == "global direction: 20 channels at β=0.11"


def test_beta_search_raises_beta_for_entangled_directions(encoder):
    dt = encoder.direction("face with a beard", "face")
    other = encoder.direction("face with a hat", "face")
    router = Router(encoder, None, _tables(dt, aligned=60, other=other, relevance=0.22), max_channels=50)
    route = router.route(Instruction("face with a beard"))
    assert route.method == "optimization"
    assert route.reason == ("optimization: no mappers installed; the global direction moves 60 channels at β=0.2 "
                            "and 0 at β=0.25, never 10–50")
    route = Router(encoder, None, _tables(dt, aligned=60, other=other, relevance=0.4), max_channels=50).route(
        Instruction("face with a beard"))
    assert route.reason == ("optimization: no mappers installed; the global direction moves 60 channels even at "
                            "β=0.3 (too entangled, at most 50)")


def test_optimization_when_nothing_fits(encoder, registry):
    dt = encoder.direction("face with a beard", "face")
    other = encoder.direction("hat", "cap")
    assert abs(float(dt @ other)) * 0.5 < 0.08          # the beard channels barely respond to "hat"
    router = Router(encoder, registry, tables=_tables(dt, aligned=37, other=other))
    route = router.route(Instruction("hat", neutral="cap"))
    assert route.method == "optimization"
    assert route.reason == ("optimization: no installed mapper matches; the global direction moves only 0 channels "
                            "even at β=0.08 (needs 10)")
    assert Router(encoder).route(Instruction("x")).reason == (
        "optimization: no mappers installed; no global-direction tables for this generator")


def test_custom_mapper_files_get_a_spec(tmp_path):
    (tmp_path / "cat_ears.pt").write_bytes(b"")
    registry = MapperRegistry.from_folder(tmp_path, specs={"x": MapperSpec("x", "x")})
    assert registry.names() == ["cat_ears"] and registry.by_alias("Cat ears").name == "cat_ears"
    with pytest.raises(KeyError, match="no mapper named 'afro'"):
        registry.load("afro")


def test_router_settings_are_checked(encoder):
    with pytest.raises(ValueError, match="min_channels"):
        Router(encoder, min_channels=0)


def test_insisting_on_a_method(encoder, registry):
    from engine.editing import NoRoute

    dt = encoder.direction("mohawk", "face")
    other = encoder.direction("face with a hat", "face")
    router = Router(encoder, registry, tables=_tables(dt, aligned=37, other=other))
    assert router.route(Instruction("mohawk")).method == "mapper"
    forced = router.route(Instruction("mohawk"), method="global_direction")
    assert (forced.method, forced.num_channels) == ("global_direction", 37)
    assert router.route(Instruction("mohawk"), method="optimization").reason == "optimization: asked for"
    with pytest.raises(NoRoute, match="mapper: no installed mapper matches"):
        router.route(Instruction("face with a hat"), method="mapper")
    with pytest.raises(NoRoute, match="global direction: no global-direction tables"):
        Router(encoder, registry).route(Instruction("face with a hat"), method="global_direction")
    with pytest.raises(ValueError, match="unknown method"):
        router.route(Instruction("mohawk"), method="fastest")
