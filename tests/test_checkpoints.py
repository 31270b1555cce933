"""The shared checkpoint reader and strict loader: bad files and mismatched keys named, code refused."""

from __future__ import annotations

import argparse

import pytest
import torch
from torch import nn

from engine.checkpoints import CheckpointError, key_list, load_strict, read_checkpoint, strip_prefix


class ModelFileError(CheckpointError):
    """Stands in for a loader's own error class."""


def small_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def test_reads_a_dict_with_training_options(tmp_path):
    path = tmp_path / "train.pt"
    torch.save({"w": torch.arange(3.0), "args": argparse.Namespace(size=64)}, path)
    ckpt = read_checkpoint(path)
    assert torch.equal(ckpt["w"], torch.arange(3.0)) and ckpt["args"].size == 64


@pytest.mark.parametrize("mmap", [False, True])
def test_legacy_format_reads_with_or_without_mmap(tmp_path, mmap):
    path = tmp_path / "old.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    assert torch.equal(read_checkpoint(path, mmap=mmap)["w"], torch.ones(2))


def test_code_is_refused_and_named(tmp_path):
    path = tmp_path / "code.pt"
    torch.save({"w": torch.ones(2), "hook": print}, path)
    with pytest.raises(ModelFileError, match=r"refers to print, .*refused, never run") as info:
        read_checkpoint(path, error=ModelFileError, mmap=True)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("mmap", [False, True])
def test_truncated_file_is_named(tmp_path, mmap):
    whole = tmp_path / "whole.pt"
    torch.save({"w": torch.zeros(10_000)}, whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[:20_000])
    with pytest.raises(ModelFileError, match="truncated or corrupt") as info:
        read_checkpoint(cut, error=ModelFileError, mmap=mmap)
    assert str(cut) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_non_dict(tmp_path):
    with pytest.raises(CheckpointError, match=r"absent\.pt: no such file"):
        read_checkpoint(tmp_path / "absent.pt")
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="expected a dict, found list"):
        read_checkpoint(path)


def test_strip_prefix_keeps_only_that_part():
    state = {"decoder.a": torch.zeros(1), "decoder.b.c": torch.ones(1), "encoder.a": torch.zeros(2)}
    assert list(strip_prefix(state, "decoder.")) == ["a", "b.c"]
    assert strip_prefix(state, "mapper.") == {}


def test_key_list_names_a_few_then_counts():
    assert key_list([]) == "none"
    assert key_list(["a", "b"]) == "a, b"
    assert key_list([f"k{i}" for i in range(12)]) == "k0, k1, k2, k3, k4 and 7 more"


def test_load_strict_copies_values_and_casts():
    source = small_net()
    state = {k: v.double() if v.is_floating_point() else v for k, v in source.state_dict().items()}
    target = load_strict(small_net(), state, "net.pt")
    for key, value in target.state_dict().items():
        assert value.dtype == source.state_dict()[key].dtype
        assert torch.equal(value, source.state_dict()[key])


def test_load_strict_assigns_onto_a_meta_module_and_num_batches_tracked_is_optional():
    state = {k: v for k, v in small_net().state_dict().items() if not k.endswith("num_batches_tracked")}
    with torch.device("meta"):
        module = small_net()
    load_strict(module, state, "net.pt")
    assert not any(t.is_meta for t in module.state_dict().values())
    assert module[0].weight.data_ptr() == state["0.weight"].data_ptr()  # assigned, not copied
    assert int(module[1].num_batches_tracked) == 0


def test_load_strict_names_missing_and_unexpected_keys():
    state = dict(small_net().state_dict())
    del state["0.bias"]
    state.update({f"extra.{i}": torch.zeros(1) for i in range(7)})
    with pytest.raises(ModelFileError) as info:
        load_strict(small_net(), state, "net.pt", error=ModelFileError, what="a tiny net")
    assert str(info.value) == (
        "net.pt: keys do not match a tiny net; missing keys: 0.bias; "
        "unexpected keys: extra.0, extra.1, extra.2, extra.3, extra.4 and 2 more"
    )


def test_load_strict_names_wrong_shapes():
    state = dict(small_net().state_dict())
    state["0.weight"] = torch.zeros(4, 5)
    with pytest.raises(CheckpointError, match=r"net\.pt: tensors of the wrong shape for Sequential: "
                                              r"0\.weight \[4, 5\] \(expected \[4, 3\]\)$"):
        load_strict(small_net(), state, "net.pt")
