"""Reading model files safely and loading their state dicts strictly: the one place every engine loader uses.

Every model file the engine reads is a `torch.save`d dict of tensors. `read_checkpoint` unpickles it
with `weights_only=True`, so a file that carries code is refused, never run; the only objects allowed
beyond tensors and plain containers are those in `SAFE_GLOBALS` (training scripts save their options
as an `argparse.Namespace`). `load_strict` loads a state dict into a module only when every key and
shape matches. Both raise `CheckpointError` (or the subclass a loader passes in) naming the file and
the keys at fault, so a person can tell which download went wrong.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import torch
from torch import nn

__all__ = ["SAFE_GLOBALS", "CheckpointError", "key_list", "load_strict", "read_checkpoint", "strip_prefix"]

SAFE_GLOBALS = (argparse.Namespace,)
SHOWN_KEYS = 5  # keys named in a message before "and N more"

ModuleT = TypeVar("ModuleT", bound=nn.Module)


class CheckpointError(ValueError):
    """A model file that cannot be used: missing, unreadable, carrying code, or not in the expected layout."""


def read_checkpoint(
    path: str | os.PathLike,
    *,
    error: type[CheckpointError] = CheckpointError,
    mmap: bool = False,
) -> dict:
    """The dict a checkpoint holds, tensors on the CPU.

    Args:
        path: the `.pt`/`.pth` file.
        error: the `CheckpointError` subclass to raise (each loader names its own model).
        mmap: memory-map the file instead of reading it whole (zip-format files; older ones are read
            normally): for files of which the caller uses only a part, like the 1.1 GB e4e checkpoint.

    Raises:
        error: the file is missing, truncated or corrupt, refers to code, or does not hold a dict.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals(list(SAFE_GLOBALS)):
            obj = _load(path, mmap)
    except Exception as exc:  # RuntimeError, UnpicklingError, EOFError, ... depending on the damage
        found = re.search(r"GLOBAL (\S+) was not an allowed global", str(exc))
        if found:
            raise error(
                f"{path}: not a readable PyTorch checkpoint: it refers to {found.group(1)}, which is neither a "
                "tensor nor plain data; files that carry code are refused, never run"
            ) from exc
        reason = str(exc).strip().split("\n")[0][:200]
        raise error(f"{path}: not a readable PyTorch checkpoint (truncated or corrupt?): {reason}") from exc
    if not isinstance(obj, Mapping):
        raise error(f"{path}: expected a dict, found {type(obj).__name__}")
    return dict(obj)


def _load(path: Path, mmap: bool) -> object:
    if mmap:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):  # only the legacy (non-zip) format cannot be mapped
                raise
    return torch.load(path, map_location="cpu", weights_only=True)


def strip_prefix(state: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of `state` whose keys start with `prefix` (e.g. `"decoder."`), with the prefix removed."""
    return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}


def load_strict(
    module: ModuleT,
    state: Mapping[str, torch.Tensor],
    source: str,
    *,
    error: type[CheckpointError] = CheckpointError,
    what: str | None = None,
) -> ModuleT:
    """`module.load_state_dict(state, strict=True)` with errors that name the file and the keys; returns `module`.

    Missing, unexpected and wrong-shaped keys are all errors; only `*.num_batches_tracked` entries
    are optional (old checkpoints lack them; eval outputs never use them). Values are cast to the
    module's dtypes. A module built on the meta device gets the state's tensors assigned instead of
    copied, which saves initialising weights that would be overwritten at once.

    Args:
        module: the network to fill.
        state: its state dict as stored (any prefix already stripped, see `strip_prefix`).
        source: what the messages start with: the file, and which part of it.
        error: the `CheckpointError` subclass to raise.
        what: the network in words for the messages (default: its class name).
    """
    what = what or type(module).__name__
    expected = module.state_dict()
    optional = {k for k in expected if k.endswith(".num_batches_tracked")}
    missing = sorted(set(expected) - set(state) - optional)
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise error(
            f"{source}: keys do not match {what}; missing keys: {key_list(missing)}; "
            f"unexpected keys: {key_list(unexpected)}"
        )
    wrong = [
        f"{k} {list(getattr(v, 'shape', [type(v).__name__]))} (expected {list(expected[k].shape)})"
        for k, v in state.items()
        if not isinstance(v, torch.Tensor) or not _same_shape(v, expected[k])
    ]
    if wrong:
        raise error(f"{source}: tensors of the wrong shape for {what}: {key_list(wrong)}")
    full = {
        k: state[k].to(ref.dtype).reshape(ref.shape) if k in state else torch.zeros((), dtype=torch.long)
        for k, ref in expected.items()
    }
    on_meta = any(v.is_meta for v in expected.values())
    module.load_state_dict(full, strict=True, assign=on_meta)
    return module


def _same_shape(value: torch.Tensor, ref: torch.Tensor) -> bool:
    # PyTorch's loader also takes a one-element vector for a 0-d entry (old `num_batches_tracked`).
    return tuple(value.shape) == tuple(ref.shape) or (ref.ndim == 0 and tuple(value.shape) == (1,))


def key_list(items: list[str], limit: int = SHOWN_KEYS) -> str:
    """`a, b, c` for a message; past `limit` items, the first few then `and N more`."""
    if not items:
        return "none"
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"
