"""Small NVIDIA-format StyleGAN2 pickles built in the tests, and an independent reference forward.

Both formats are written the way NVIDIA's code writes them, with stand-ins for the classes that
code pickles (`dnnlib.tflib.network.Network`, `torch_utils.persistence` objects, `dnnlib.util.EasyDict`).
The stand-ins live in modules registered only while pickling: when the pickles are read, those
modules are not importable, as on a machine without NVIDIA's repositories. The sources embedded in
the pickles write a marker file if anyone ever runs them.

- TensorFlow (NVlabs/stylegan2): `(G, D, Gs)`; each Network pickles the dict of its `__getstate__`
  (`dnnlib/tflib/network.py`, version 4), with variables named as `training/networks_stylegan2.py`
  creates them (`G_mapping`: `Dense{i}/weight [in, out]`; `G_synthesis`: `noise{i}`, `4x4/Const/const`,
  `{r}x{r}/Conv0_up|Conv1|ToRGB/weight [k, k, in, out]`, `mod_weight`, `mod_bias`, `noise_strength`, `bias`).
- PyTorch (stylegan2-ada-pytorch): `{"G", "D", "G_ema", "training_set_kwargs", "augment_pipe"}`; each
  network is an `nn.Module` tree whose every layer pickles as
  `torch_utils.persistence._reconstruct_persistent_obj(meta)`; its tensors are named by NVIDIA's
  `legacy.py` table (TF → ada), applied here to the same variables.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LRMUL = 0.01  # mapping_lrmul of StyleGAN2
TAPS = np.array([1.0, 3.0, 3.0, 1.0])


def marker_source(marker: Path) -> str:
    """Python source that leaves `marker` behind if it is ever executed."""
    return f"import pathlib\npathlib.Path({str(marker)!r}).write_text('the pickle ran its code')\n"


# ---------------------------------------------------------------------------- variables


def tf_variables(resolution: int, channels: dict[int, int], w_dim: int, n_mlp: int, seed: int = 0) -> dict:
    """Random Gs variables named as NVlabs/stylegan2 names them, split by component: {"": ..., "mapping": ..., ...}."""
    rng = np.random.default_rng(seed)

    def normal(*shape: int, std: float = 1.0) -> np.ndarray:
        return (std * rng.standard_normal(shape)).astype(np.float32)

    mapping = {}
    for i in range(n_mlp):
        mapping[f"Dense{i}/weight"] = normal(w_dim, w_dim, std=1 / LRMUL)  # TF init: N(0, 1/lrmul)
        mapping[f"Dense{i}/bias"] = normal(w_dim, std=1.0)

    log2 = int(math.log2(resolution))
    synthesis: dict = {}
    for i in range(2 * log2 - 3):
        side = 2 ** ((i + 5) // 2)
        synthesis[f"noise{i}"] = normal(1, 1, side, side)

    def layer(scope: str, cin: int, cout: int, kernel: int, rgb: bool = False) -> None:
        synthesis[f"{scope}/weight"] = normal(kernel, kernel, cin, cout)
        synthesis[f"{scope}/mod_weight"] = normal(w_dim, cin)
        synthesis[f"{scope}/mod_bias"] = normal(cin, std=0.3)  # stored without the +1
        if not rgb:
            synthesis[f"{scope}/noise_strength"] = np.float32(rng.standard_normal() * 0.5)  # a 0-d variable
        synthesis[f"{scope}/bias"] = normal(cout, std=0.3)

    synthesis["4x4/Const/const"] = normal(1, channels[4], 4, 4)
    layer("4x4/Conv", channels[4], channels[4], 3)
    layer("4x4/ToRGB", channels[4], 3, 1, rgb=True)
    for res in range(3, log2 + 1):
        r = 2**res
        layer(f"{r}x{r}/Conv0_up", channels[r // 2], channels[r], 3)
        layer(f"{r}x{r}/Conv1", channels[r], channels[r], 3)
        layer(f"{r}x{r}/ToRGB", channels[r], 3, 1, rgb=True)
    own = {"lod": np.float32(0.0), "dlatent_avg": normal(w_dim, std=0.5)}
    return {"": own, "mapping": mapping, "synthesis": synthesis}


def flat(variables: dict) -> dict[str, np.ndarray]:
    """`component/name` → value, as legacy.py's `_collect_tf_params` names them."""
    return {
        (f"{comp}/{name}" if comp else name): value
        for comp, group in variables.items()
        for name, value in group.items()
    }


def ada_tensors(variables: dict) -> dict[str, torch.Tensor]:
    """The same generator named as stylegan2-ada-pytorch names it: NVIDIA's legacy.py table, TF → ada."""
    tf = flat(variables)
    out = {"mapping.w_avg": tf["dlatent_avg"]}
    for name, value in tf.items():
        if name.startswith("mapping/Dense"):
            i, param = name[len("mapping/Dense") :].split("/")
            out[f"mapping.fc{i}.{param}"] = value.T if param == "weight" else value
    out["synthesis.b4.const"] = tf["synthesis/4x4/Const/const"][0]
    filt = np.outer(TAPS, TAPS) / np.outer(TAPS, TAPS).sum()
    for name, value in tf.items():
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "synthesis" or parts[2] == "Const":
            continue
        r, scope, param = int(parts[1].split("x")[0]), parts[2], parts[3]
        layer = {"Conv": "conv1", "Conv0_up": "conv0", "Conv1": "conv1", "ToRGB": "torgb"}[scope]
        key = f"synthesis.b{r}.{layer}"
        if param == "weight":
            w = value[::-1, ::-1] if scope == "Conv0_up" else value
            out[f"{key}.weight"] = w.transpose(3, 2, 0, 1)
        elif param == "mod_weight":
            out[f"{key}.affine.weight"] = value.T
        elif param == "mod_bias":
            out[f"{key}.affine.bias"] = value + np.float32(1)
        else:
            out[f"{key}.{param}"] = value
        if scope != "ToRGB" and param == "weight":
            index = 0 if r == 4 else int(math.log2(r)) * 2 - (5 if scope == "Conv0_up" else 4)
            out[f"{key}.noise_const"] = tf[f"synthesis/noise{index}"][0, 0]
            out[f"{key}.resample_filter"] = filt.astype(np.float32)
        if param == "weight":
            out[f"synthesis.b{r}.resample_filter"] = filt.astype(np.float32)
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


# ---------------------------------------------------------------------------- writing pickles


@contextlib.contextmanager
def nvidia_modules(**attrs: object) -> Iterator[None]:
    """Register `dnnlib.*` and `torch_utils.*` stand-ins only while pickling, so pickle can name them."""
    names = ("dnnlib", "dnnlib.util", "dnnlib.tflib", "dnnlib.tflib.network", "torch_utils", "torch_utils.persistence")
    modules = {name: types.ModuleType(name) for name in names}
    modules["dnnlib.util"].EasyDict = EasyDict
    modules["dnnlib.tflib.network"].Network = Network
    modules["torch_utils.persistence"]._reconstruct_persistent_obj = _reconstruct_persistent_obj
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


class EasyDict(dict):
    """Stand-in for dnnlib.util.EasyDict."""


EasyDict.__module__, EasyDict.__qualname__ = "dnnlib.util", "EasyDict"


class Network:
    """Stand-in for dnnlib.tflib.network.Network: pickles what its `__getstate__` returns (version 4)."""

    def __init__(self, name: str, variables: dict, components: dict, static_kwargs: dict, source: str) -> None:
        self.name, self.variables, self.components = name, variables, components
        self.static_kwargs, self.source = static_kwargs, source

    def __getstate__(self) -> dict:
        return {
            "version": 4,
            "name": self.name,
            "static_kwargs": dict(self.static_kwargs),
            "components": dict(self.components),
            "build_module_src": self.source,
            "build_func_name": {"G": "G_main", "G_mapping": "G_mapping", "G_synthesis": "G_synthesis_stylegan2"}.get(
                self.name, "D_stylegan2"
            ),
            "variables": list(self.variables.items()),
        }


Network.__module__, Network.__qualname__ = "dnnlib.tflib.network", "Network"


def tf_generator(variables: dict, name: str, source: str, **static_kwargs: object) -> Network:
    components = {
        "synthesis": Network("G_synthesis", variables["synthesis"], {}, {}, source),
        "mapping": Network("G_mapping", variables["mapping"], {}, {}, source),
    }
    return Network(name, variables[""], components, static_kwargs, source)


def write_tf_pickle(
    path: Path,
    variables: dict,
    marker: Path,
    resolution: int,
    d_variables: dict | None = None,
    **static_kwargs: object,
) -> Path:
    """`(G, D, Gs)` as NVlabs/stylegan2 pickles it (protocol 3, numpy arrays as NumPy 1.x names them).

    G gets copies of Gs's variables (its own arrays, as in a real file); D gets `d_variables` (default: one).
    """
    source = marker_source(marker)
    kwargs = {"num_channels": 3, "resolution": resolution, "label_size": 0, "fmap_base": 16 << 10, **static_kwargs}
    copies = {
        comp: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in group.items()}
        for comp, group in variables.items()
    }
    g = tf_generator(copies, "G", source, **kwargs)
    gs = tf_generator(variables, "Gs", source, **kwargs)
    d_vars = d_variables if d_variables is not None else {"4x4/Conv/weight": np.ones((3, 3, 4, 4), np.float32)}
    d = Network("D", d_vars, {}, {"resolution": resolution}, source)
    with nvidia_modules():
        data = pickle.dumps((g, d, gs), protocol=3)
    # Arrays pickled by NumPy 2 name numpy._core; NVIDIA's 2019 files name numpy.core (text GLOBAL opcodes).
    path.write_bytes(data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n"))
    return path


def _reconstruct_persistent_obj(meta: dict) -> None:  # only its name is pickled; never called
    raise AssertionError("never called")


_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"


class Persistent(nn.Module):
    """A layer pickled as torch_utils.persistence pickles it: the class's module source, its name, its state."""

    source = ""

    def __reduce__(self) -> tuple:
        meta = {
            "type": "class",
            "version": 6,
            "module_src": self.source,
            "class_name": type(self).__name__,
            "state": dict(self.__dict__),
        }
        return (_reconstruct_persistent_obj, (meta,), None)


def _layer_class(name: str) -> type[Persistent]:
    return type(name, (Persistent,), {})


def ada_module(tensors: dict[str, torch.Tensor], source: str, class_names: dict[str, str]) -> Persistent:
    """An nn.Module tree holding `tensors` under their dotted names (buffers for *_filter, noise_const, w_avg)."""
    Persistent.source = source
    root = _layer_class("Generator")()
    root._init_args = ()
    root._init_kwargs = {
        "z_dim": 0,
        "mapping_kwargs": EasyDict(num_layers=0),
        "synthesis_kwargs": EasyDict(num_fp16_res=4, conv_clamp=256),
    }
    for name, value in tensors.items():
        *path, leaf = name.split(".")
        module = root
        for i, part in enumerate(path):
            if part not in module._modules:
                prefix = ".".join(path[: i + 1])
                module.add_module(part, _layer_class(class_names.get(prefix, "FullyConnectedLayer"))())
            module = module._modules[part]
        if leaf in ("resample_filter", "noise_const", "w_avg"):
            module.register_buffer(leaf, value.clone())
        else:
            module.register_parameter(leaf, nn.Parameter(value.clone()))
        if leaf == "bias" and path[-1] != "affine":
            module.act_gain = np.float64(math.sqrt(2))  # a numpy scalar, as bias_act's def_gain is
    return root


def ada_class_names(tensors: dict[str, torch.Tensor]) -> dict[str, str]:
    names = {"mapping": "MappingNetwork", "synthesis": "SynthesisNetwork"}
    for key in tensors:
        parts = key.split(".")
        if parts[0] == "synthesis" and len(parts) > 2:
            names[".".join(parts[:2])] = "SynthesisBlock"
            if parts[2] in ("conv0", "conv1"):
                names[".".join(parts[:3])] = "SynthesisLayer"
            elif parts[2] == "torgb":
                names[".".join(parts[:3])] = "ToRGBLayer"
    return names


def write_ada_pickle(path: Path, tensors: dict[str, torch.Tensor], marker: Path) -> Path:
    """A stylegan2-ada-pytorch network pickle of `tensors` (G, D, G_ema, training_set_kwargs, augment_pipe)."""
    source = marker_source(marker)
    names = ada_class_names(tensors)
    g_ema = ada_module(tensors, source, names)
    g = ada_module(tensors, source, names)
    d = ada_module({"b4.conv.weight": torch.ones(4, 4, 3, 3)}, source, {"b4": "DiscriminatorBlock"})
    data = {"G": g, "D": d, "G_ema": g_ema, "training_set_kwargs": EasyDict(resolution=8), "augment_pipe": None}
    with nvidia_modules():
        path.write_bytes(pickle.dumps(data, protocol=4))
    return path


# ---------------------------------------------------------------------------- reference forward


def _fir(x: torch.Tensor, k: torch.Tensor, pad0: int, pad1: int) -> torch.Tensor:
    """upfirdn2d without resampling: pad, then convolve each channel with `k` (flipped for a true convolution)."""
    c = x.shape[1]
    x = F.pad(x, [pad0, pad1, pad0, pad1])
    return F.conv2d(x, k.flip(0, 1)[None, None].repeat(c, 1, 1, 1).to(x.dtype), groups=c)


def _zero_insert(x: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] → [N, C, 2H, 2W] with each sample followed by a zero (upfirdn2d's upsampling)."""
    n, c, h, w = x.shape
    out = x.new_zeros(n, c, 2 * h, 2 * w)
    out[:, :, ::2, ::2] = x
    return out


def reference_mapping(tf: dict[str, np.ndarray], z: torch.Tensor, n_mlp: int) -> torch.Tensor:
    """G_mapping of networks_stylegan2.py in float64: normalize, then dense layers with lrmul and lrelu·√2."""
    x = z.double()
    x = x * torch.rsqrt((x**2).mean(1, keepdim=True) + 1e-8)
    for i in range(n_mlp):
        w = torch.from_numpy(tf[f"mapping/Dense{i}/weight"]).double()
        b = torch.from_numpy(tf[f"mapping/Dense{i}/bias"]).double()
        x = x @ (w * LRMUL / math.sqrt(w.shape[0])) + b * LRMUL
        x = F.leaky_relu(x, 0.2) * math.sqrt(2)
    return x


def reference_synthesis(tf: dict[str, np.ndarray], ws: torch.Tensor, resolution: int) -> torch.Tensor:
    """G_synthesis_stylegan2 ('skip', const noise) in float64, sample by sample, as TF computes it.

    The upsampling conv follows TF's definition, `conv2d_transpose(x, w[::-1, ::-1])` then a [1,3,3,1]
    blur: that is zero-insertion, full correlation with the unflipped `w`, then the blur.
    """
    ws = ws.double()
    k = torch.from_numpy(np.outer(TAPS, TAPS) / np.outer(TAPS, TAPS).sum())
    v = {name: torch.from_numpy(np.asarray(value, dtype=np.float64)) for name, value in tf.items()}

    def modconv(x: torch.Tensor, w_lat: torch.Tensor, scope: str, demodulate: bool, up: bool) -> torch.Tensor:
        w = v[f"{scope}/weight"]
        kh, _, cin, _ = w.shape
        w = w / math.sqrt(kh * kh * cin)  # equalized lr: he_std, gain 1
        mod_w = v[f"{scope}/mod_weight"]
        s = w_lat @ (mod_w / math.sqrt(mod_w.shape[0])) + v[f"{scope}/mod_bias"] + 1
        outs = []
        for b in range(x.shape[0]):
            ww = w * s[b][None, None, :, None]  # [k, k, in, out]
            if demodulate:
                ww = ww * torch.rsqrt((ww**2).sum((0, 1, 2)) + 1e-8)
            weight = ww.permute(3, 2, 0, 1)  # [out, in, k, k] for a correlation
            xb = x[b : b + 1]
            if up:
                y = F.conv2d(F.pad(_zero_insert(xb)[..., :-1, :-1], [kh - 1] * 4), weight)
                y = _fir(y, k * 4, 1, 1)
            else:
                y = F.conv2d(xb, weight, padding=kh // 2)
            outs.append(y)
        return torch.cat(outs)

    def layer(x: torch.Tensor, index: int, scope: str, up: bool = False) -> torch.Tensor:
        x = modconv(x, ws[:, index], scope, True, up)
        x = x + v[f"synthesis/noise{index}"] * v[f"{scope}/noise_strength"]
        return F.leaky_relu(x + v[f"{scope}/bias"][None, :, None, None], 0.2) * math.sqrt(2)

    def torgb(x: torch.Tensor, y: torch.Tensor | None, res: int, scope: str) -> torch.Tensor:
        t = modconv(x, ws[:, res * 2 - 3], scope, False, False) + v[f"{scope}/bias"][None, :, None, None]
        if y is None:
            return t
        return _fir(_zero_insert(y), k * 4, 2, 1) + t  # upsample_2d: factor 2, pad (2, 1)

    n = ws.shape[0]
    x = v["synthesis/4x4/Const/const"].repeat(n, 1, 1, 1)
    x = layer(x, 0, "synthesis/4x4/Conv")
    y = torgb(x, None, 2, "synthesis/4x4/ToRGB")
    for res in range(3, int(math.log2(resolution)) + 1):
        r = 2**res
        x = layer(x, res * 2 - 5, f"synthesis/{r}x{r}/Conv0_up", up=True)
        x = layer(x, res * 2 - 4, f"synthesis/{r}x{r}/Conv1")
        y = torgb(x, y, res, f"synthesis/{r}x{r}/ToRGB")
    return y
