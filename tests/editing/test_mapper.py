import numpy as np
import pytest
import torch

from engine.editing import (
    MAPPER_STEP,
    LevelsMapper,
    load_mapper,
    mapper_edit,
    mapper_from_state_dict,
    read_mapper_checkpoint,
    render,
)
from engine.stylegan2 import CheckpointError


@pytest.fixture(scope="module")
def reference(data_dir):
    return np.load(data_dir / "mapper_18.npz")


@pytest.fixture(scope="module")
def mapper_state(manifest):
    return manifest("mapper_18")


def test_mapper_matches_reference_vectors(mapper_state, reference):
    mapper = mapper_from_state_dict(mapper_state)
    wplus = torch.from_numpy(reference["wplus"])
    delta = mapper(wplus)
    np.testing.assert_allclose(delta.numpy(), reference["delta"], atol=1e-5, rtol=1e-5)
    assert float(reference["step"]) == pytest.approx(MAPPER_STEP)
    edited = wplus + MAPPER_STEP * delta
    np.testing.assert_allclose(edited.numpy(), reference["w_edited"], atol=1e-5, rtol=1e-5)


def test_pixel_norm_runs_across_rows_like_the_reference(mapper_state, reference):
    """Scaling one W+ row changes the other rows of its group: the norm is over rows, not features."""
    mapper = mapper_from_state_dict(mapper_state)
    wplus = torch.from_numpy(reference["wplus"][:1]).clone()
    before = mapper(wplus)
    wplus[:, 0] *= 3.0
    after = mapper(wplus)
    assert not torch.allclose(before[:, 1:4], after[:, 1:4], atol=1e-4)   # coarse group rows 1-3 moved
    torch.testing.assert_close(before[:, 4:], after[:, 4:])               # other groups did not


def test_load_released_checkpoint_layout(tmp_path, mapper_state, reference):
    """`{"state_dict": mapper.* + decoder.*, "opts": ...}`: the decoder is ignored, opts choose sub-mappers."""
    state = {k: v for k, v in mapper_state.items() if not k.startswith("mapper.fine_mapping")}
    state["decoder.style.1.weight"] = torch.zeros(3, 3)
    opts = {"no_coarse_mapper": False, "no_medium_mapper": False, "no_fine_mapper": True, "description": "mohawk",
            "stylegan_size": 1024}
    path = tmp_path / "mohawk.pt"
    torch.save({"state_dict": state, "opts": opts}, path)

    mapper, info = read_mapper_checkpoint(path)
    assert info.description == "mohawk" and info.stylegan_size == 1024
    assert mapper.fine_mapping is None
    wplus = torch.from_numpy(reference["wplus"])
    delta = load_mapper(path)(wplus)
    assert torch.count_nonzero(delta[:, 8:]) == 0
    np.testing.assert_allclose(delta[:, :8].numpy(), reference["delta"][:, :8], atol=1e-5, rtol=1e-5)


def test_opts_that_disagree_with_the_keys_are_an_error(tmp_path, mapper_state):
    path = tmp_path / "bad.pt"
    torch.save({"state_dict": dict(mapper_state), "opts": {"no_fine_mapper": True}}, path)
    with pytest.raises(CheckpointError, match="unexpected keys: fine_mapping"):
        load_mapper(path)


@pytest.mark.parametrize(
    "content, message",
    [(b"not a checkpoint", "not a readable PyTorch checkpoint"), (None, "no such file")],
)
def test_unusable_files_raise_checkpoint_error(tmp_path, content, message):
    path = tmp_path / "m.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_mapper(path)


def test_checkpoint_without_mapper_keys(tmp_path):
    path = tmp_path / "g.pt"
    torch.save({"state_dict": {"decoder.x": torch.zeros(1)}}, path)
    with pytest.raises(CheckpointError, match="no 'mapper"):
        load_mapper(path)


def test_mapper_rejects_w_instead_of_wplus():
    with pytest.raises(ValueError, match="W\\+"):
        LevelsMapper()(torch.zeros(2, 512))


def test_mapper_edit_is_a_wplus_step_and_renders_as_w_plus_step(generator_18, mapper_state):
    mapper = mapper_from_state_dict(mapper_state)
    w = generator_18.broadcast(generator_18.mapping(torch.randn(1, 512, generator=torch.Generator().manual_seed(3))))[0]
    edit = mapper_edit(generator_18, w, mapper, reason="mapper 'x'", prompt="x")
    assert edit.method == "mapper" and edit.space == "w+"
    torch.testing.assert_close(edit.w_step, 0.1 * mapper(w[None])[0])
    expected = generator_18.synthesize(w[None] + edit.w_step, max_resolution=32)
    torch.testing.assert_close(render(generator_18, w, [edit], max_resolution=32), expected)
