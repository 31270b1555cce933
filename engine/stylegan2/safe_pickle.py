"""Reading NVIDIA's network pickles as data, without running any code they carry.

NVIDIA publishes StyleGAN2 generators as Python pickles, and a pickle is a program: `pickle.load`
imports whatever globals it names and calls them. Both official formats also ship their own
source code inside, for the loader to `exec`:

- NVlabs/stylegan2 (TensorFlow): a tuple `(G, D, Gs)` of `dnnlib.tflib.network.Network` objects.
  Each pickles the dict of its `__getstate__` (`dnnlib/tflib/network.py`): `version`, `name`,
  `static_kwargs`, `components` (sub-networks, e.g. `mapping` and `synthesis`), `build_module_src`
  (the network's Python source), `build_func_name`, and `variables`, a list of (name, numpy array).
- stylegan2-ada-pytorch / stylegan3: a dict (`G`, `D`, `G_ema`, `training_set_kwargs`, ...) of
  `torch_utils.persistence` objects. Each is pickled as a call of
  `torch_utils.persistence._reconstruct_persistent_obj(meta)` where `meta` holds `module_src` (the
  source to exec), `class_name` and `state`, the module's `__dict__` (`_parameters`, `_buffers`,
  `_modules`, ...). Tensors are `torch._utils._rebuild_tensor_v2` calls on storages stored as
  `torch.storage._load_from_bytes` blobs; options are `dnnlib.util.EasyDict`s.

`safe_load` reads both with an unpickler that resolves only the globals in `ALLOWED_GLOBALS`, each to
a function of ours that rebuilds data: numpy arrays and scalars, tensors, plain containers, and
stand-ins that keep a network's state as data (`TFNetwork`, `PersistentObject`, `PlainDict`). The
sources in the pickle stay strings, never executed. Any other global is refused with `PickleRefused`,
naming it, before anything is called.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from engine.checkpoints import CheckpointError

try:  # numpy >= 2 (its pickles say numpy._core; older ones say numpy.core)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray

__all__ = ["ALLOWED_GLOBALS", "PersistentObject", "PickleRefused", "PlainDict", "TFNetwork", "safe_load"]

ZIP_MAGIC = b"PK\x03\x04"  # torch.save files are zip archives, not bare pickles


class PickleRefused(CheckpointError):
    """A pickle that holds something other than data (code to run, or an object we do not rebuild)."""

    def __init__(self, source: str, what: str) -> None:
        super().__init__(
            f"{source}: refused to load: it refers to {what}; only plain data is read (arrays, tensors, "
            "containers, a network's state), and a pickle that carries code is refused, never run"
        )
        self.what = what


class _NotData(pickle.UnpicklingError):
    """Raised by a rebuilder for an argument it will not build; `safe_load` reports it as `PickleRefused`."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class PersistentObject:
    """A `torch_utils.persistence` object kept as data: its class name and its `__dict__`.

    For a network this is an `nn.Module`'s state: `_parameters` and `_buffers` (name -> tensor),
    `_modules` (name -> PersistentObject), and the layer's own attributes.
    """

    class_name: str
    state: dict = field(repr=False)

    def __setstate__(self, state: object) -> None:
        raise _NotData("extra state for a torch_utils.persistence object")


class TFNetwork:
    """A `dnnlib.tflib.network.Network` kept as the dict its `__getstate__` wrote."""

    def __init__(self) -> None:
        self.state: dict = {}

    def __setstate__(self, state: object) -> None:
        if not isinstance(state, dict):
            raise _NotData(f"a TensorFlow network whose state is a {type(state).__name__}")
        self.state = state

    @property
    def name(self) -> str:
        return str(self.state.get("name", "?"))

    @property
    def components(self) -> dict[str, TFNetwork]:
        return dict(self.state.get("components") or {})

    @property
    def variables(self) -> list[tuple[str, np.ndarray]]:
        """The network's own variables (its components' are in theirs)."""
        return list(self.state.get("variables") or [])

    @property
    def static_kwargs(self) -> dict:
        return dict(self.state.get("static_kwargs") or {})

    def __repr__(self) -> str:
        return f"TFNetwork({self.name!r}, {len(self.variables)} variables, components {sorted(self.components)})"


class PlainDict(dict):
    """`dnnlib.util.EasyDict` (a dict with attribute access) rebuilt as a plain dict."""

    def __setstate__(self, state: object) -> None:
        if isinstance(state, dict):
            self.update(state)


# ---------------------------------------------------------------------------- rebuilders


class _NdarrayName:
    """What `numpy.ndarray` resolves to: a name only `_ndarray_skeleton` accepts, not a class a pickle can call."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise _NotData("a direct call of numpy.ndarray")


_NDARRAY = _NdarrayName()


def _ndarray_skeleton(subtype: object, shape: tuple, dtype: bytes) -> np.ndarray:
    """`numpy.core.multiarray._reconstruct`: an empty array that the pickle's BUILD then fills."""
    if subtype is not _NDARRAY:
        raise _NotData(f"an array of type {subtype!r}")
    return _multiarray._reconstruct(np.ndarray, shape, dtype)


def _dtype(*args: Any) -> np.dtype:
    """`numpy.dtype`, refusing object dtypes (their items would be arbitrary pickled objects)."""
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise _NotData("a numpy array of Python objects")
    return dtype


def _numpy_scalar(dtype: np.dtype, data: bytes | None = None) -> np.generic:
    """`numpy.core.multiarray.scalar`: a numpy scalar from its bytes (e.g. a float32 noise strength)."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise _NotData("a numpy scalar that is not a number")
    return _multiarray.scalar(dtype, data)


def _storage_from_bytes(data: bytes) -> torch.storage.TypedStorage:
    """`torch.storage._load_from_bytes`: a storage that PyTorch pickled on its own, read by its safe loader."""
    storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(storage, torch.storage.TypedStorage):
        raise _NotData(f"a {type(storage).__name__} where a tensor storage belongs")
    return storage


def _tensor(
    storage: Any, offset: int, size: tuple, stride: tuple, requires_grad: bool, hooks: Any, metadata: Any = None
) -> torch.Tensor:
    """`torch._utils._rebuild_tensor_v2`: a view of a storage; gradients and hooks dropped."""
    if not isinstance(storage, torch.storage.TypedStorage):
        raise _NotData(f"a tensor built on a {type(storage).__name__}")
    if hooks or metadata:
        raise _NotData("a tensor with backward hooks or extra metadata")
    offset, size, stride = int(offset), tuple(map(int, size)), tuple(map(int, stride))
    if len(size) != len(stride) or offset < 0 or min((*size, *stride), default=0) < 0:
        raise _NotData(f"a tensor with offset {offset}, size {size}, stride {stride}")
    # set_() would silently grow the storage to fit a view that overruns it: check instead.
    end = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) + 1 if all(size) else 0
    if end > storage._size():  # _size: size() warns that TypedStorage is deprecated
        raise _NotData(f"a tensor of size {size} that overruns its storage of {storage._size()} elements")
    return torch._utils._rebuild_tensor(storage, offset, size, stride)


def _parameter(data: Any, requires_grad: bool = False, hooks: Any = None, state: Any = None) -> torch.Tensor:
    """`torch._utils._rebuild_parameter(_with_state)`: the parameter's tensor, as a plain tensor."""
    if not isinstance(data, torch.Tensor):
        raise _NotData(f"a parameter made of a {type(data).__name__}")
    if hooks or state:
        raise _NotData("a parameter with hooks or extra state")
    return data


def _persistent_object(meta: Any) -> PersistentObject:
    """`torch_utils.persistence._reconstruct_persistent_obj`: the object's class name and state, no source run."""
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
        raise _NotData("a torch_utils.persistence record of an unknown kind")
    return PersistentObject(class_name=str(meta.get("class_name")), state=dict(meta["state"]))


def _set(items: Any = ()) -> set:
    return set(items)


def _frozenset(items: Any = ()) -> frozenset:
    return frozenset(items)


_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")

ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): _set,
    ("builtins", "frozenset"): _frozenset,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _dtype,
    **{(module, "_reconstruct"): _ndarray_skeleton for module in _NUMPY_MODULES},
    **{(module, "scalar"): _numpy_scalar for module in _NUMPY_MODULES},
    ("torch._utils", "_rebuild_tensor_v2"): _tensor,
    ("torch._utils", "_rebuild_parameter"): _parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _persistent_object,
    ("dnnlib.util", "EasyDict"): PlainDict,
    ("dnnlib", "EasyDict"): PlainDict,
    ("dnnlib.tflib.network", "Network"): TFNetwork,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves globals only through `ALLOWED_GLOBALS`; every object a pickle can reach is built by us."""

    def __init__(self, file: BinaryIO, source: str) -> None:
        # latin1: NVIDIA's TensorFlow pickles are loaded this way by their own code (pretrained_networks.py).
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise PickleRefused(self.source, f"the global {module}.{name}")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise PickleRefused(self.source, "a persistent id (an external object)")


def safe_load(path: str | os.PathLike) -> Any:
    """Unpickle an NVIDIA network pickle as data (see the module docstring for what comes back).

    Raises:
        PickleRefused: the pickle names a global that is not plain data; nothing it names was called.
        CheckpointError: the file is missing, is a `torch.save` archive, or is not a readable pickle.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    with open(path, "rb") as f:
        if f.read(4) == ZIP_MAGIC:
            raise CheckpointError(
                f"{path}: this is a PyTorch checkpoint (torch.save), not an NVIDIA network pickle; "
                "a rosinality-format generator (g_ema + latent_avg) needs no import: place it in the cache as it is"
            )
        f.seek(0)
        try:
            return _RestrictedUnpickler(f, str(path)).load()
        except CheckpointError:
            raise
        except _NotData as exc:
            raise PickleRefused(str(path), exc.what) from None
        except Exception as exc:  # UnpicklingError, EOFError, ValueError, ... depending on the damage
            reason = str(exc).strip().split("\n")[0][:200]
            raise CheckpointError(f"{path}: not a readable network pickle (truncated or corrupt?): {reason}") from exc
