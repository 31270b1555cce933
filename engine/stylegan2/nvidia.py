"""Converting NVIDIA's official StyleGAN2 pickles to the rosinality layout our generator loads.

Two formats, both read as data by `safe_pickle` (no code from the pickle runs):
- NVlabs/stylegan2 (TensorFlow), e.g. `stylegan2-ffhq-config-f.pkl`: `(G, D, Gs)`; we take `Gs`,
  the moving-average generator, whose variables are named like `synthesis/8x8/Conv0_up/mod_weight`.
- stylegan2-ada-pytorch / stylegan3 (PyTorch): a dict; we take `G_ema`, whose tensors are named like
  `synthesis.b8.conv0.affine.weight`.

Names go through explicit tables, as rosinality's `convert_weight.py` (TF → rosinality) and NVIDIA's
`legacy.py` (TF → ada) do, and any name the tables do not know is an error: TensorFlow stores conv
weights `[kh, kw, in, out]` and dense weights `[in, out]` (transposed here), keeps the modulation bias
without its +1 (added here), and stores the upsampling conv unflipped (flipped here; ada stores it
flipped already). The result is checked by loading it strictly into our `Generator`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.checkpoints import CheckpointError, key_list, load_strict
from engine.ops import make_kernel
from engine.stylegan2.checkpoint import infer_config
from engine.stylegan2.generator import Generator, default_channels
from engine.stylegan2.safe_pickle import PersistentObject, TFNetwork, safe_load

__all__ = [
    "ImportResult",
    "StyleGAN3NotSupported",
    "convert_nvidia_pickle",
    "describe",
    "import_generator",
]

RESAMPLE_TAPS = (1, 3, 3, 1)  # the FIR filter of every official StyleGAN2 (resample_kernel / resample_filter)

Transform = Callable[[Any], torch.Tensor]


class StyleGAN3NotSupported(CheckpointError):
    """An alias-free StyleGAN3 network: a different synthesis network, which our StyleGAN2 engine cannot run."""


@dataclass(frozen=True)
class ImportResult:
    """What `import_generator` wrote."""

    dest: Path
    origin: str  # the format and network it came from, in words
    description: str  # `describe` of the converted generator
    size_bytes: int


# ---------------------------------------------------------------------------- public API


def convert_nvidia_pickle(path: str | os.PathLike) -> dict[str, Any]:
    """An NVIDIA StyleGAN2 pickle as a rosinality-format checkpoint: `{"g_ema": state dict, "latent_avg": [w_dim]}`.

    Raises:
        PickleRefused: the pickle carries code or objects other than data (nothing of it was run).
        StyleGAN3NotSupported: the network is a StyleGAN3 (alias-free) generator.
        CheckpointError: not a readable NVIDIA generator pickle, or a StyleGAN2 variant we cannot run
            (conditional, progressive-growing or residual generators); the message names the keys.
    """
    return _convert(Path(path))[0]


def describe(checkpoint: Mapping[str, Any]) -> str:
    """One line about a rosinality-format checkpoint: resolution, mapping layers, channel multiplier."""
    config = infer_config(checkpoint["g_ema"])
    res = config.img_resolution
    widths = next(
        (f"channel multiplier {m}" for m in (2, 1) if config.channels == default_channels(res, m)),
        "channels " + ", ".join(f"{r}:{c}" for r, c in sorted(config.channels.items())),
    )
    params = sum(t.numel() for k, t in checkpoint["g_ema"].items() if not k.startswith("noises."))
    return (
        f"StyleGAN2 generator, {res} px, {config.n_mlp} mapping layers, {widths}, "
        f"w {config.w_dim}-d, {config.num_ws} W+ levels, {params / 1e6:.1f} M parameters"
    )


def import_generator(src: str | os.PathLike, dest: str | os.PathLike, force: bool = False) -> ImportResult:
    """Convert the NVIDIA pickle `src` and save it at `dest` in the rosinality format.

    The file is written to `DEST.import.part` and renamed onto `dest` only when complete, so `dest` is
    never half-written. A downloader can call this after fetching a `.pkl`.

    Raises:
        FileExistsError: `dest` exists and `force` is False (checked before converting).
        CheckpointError: see `convert_nvidia_pickle`.
    """
    dest = Path(dest)
    if dest.exists() and not force:
        raise FileExistsError(f"{dest} already exists; not replaced")
    checkpoint, origin = _convert(Path(src))
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".import.part")
    try:
        torch.save(checkpoint, part)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return ImportResult(dest, origin, describe(checkpoint), dest.stat().st_size)


# ---------------------------------------------------------------------------- dispatch


def _convert(path: Path) -> tuple[dict[str, Any], str]:
    source = str(path)
    data = safe_load(path)
    if isinstance(data, TFNetwork) or (isinstance(data, tuple) and data and isinstance(data[-1], TFNetwork)):
        network = data if isinstance(data, TFNetwork) else data[-1]  # (G, D, Gs): Gs is the one to use
        state, latent_avg = _from_tensorflow(network, source)
        origin = f"TensorFlow pickle (NVlabs/stylegan2), network {network.name}"
    elif isinstance(data, dict) and isinstance(data.get("G_ema"), PersistentObject):
        state, latent_avg = _from_pytorch(data["G_ema"], source)
        origin = "PyTorch pickle (stylegan2-ada-pytorch / stylegan3), network G_ema" + _clamp_note(data["G_ema"])
    else:
        found = type(data).__name__ + (
            f" with keys {key_list(sorted(map(str, data)))}" if isinstance(data, dict) else ""
        )
        raise CheckpointError(
            f"{source}: not an NVIDIA StyleGAN2 network pickle (found a {found}); expected the (G, D, Gs) tuple "
            "of NVlabs/stylegan2 or the dict with G_ema of stylegan2-ada-pytorch"
        )
    _check_loads(state, latent_avg, source)
    return {"g_ema": state, "latent_avg": latent_avg}, origin


def _check_loads(state: dict[str, torch.Tensor], latent_avg: torch.Tensor, source: str) -> None:
    """Prove the mapping: the state loads strictly into a Generator shaped like it (built on meta, so no copy)."""
    config = infer_config(state, source)
    with torch.device("meta"):
        generator = Generator(config)
    load_strict(generator, state, f"{source} (converted)", what=f"a {config.img_resolution} px StyleGAN2 generator")
    if latent_avg.shape != (config.w_dim,):
        raise CheckpointError(f"{source}: the average w has shape {list(latent_avg.shape)}, expected [{config.w_dim}]")


def _apply_table(
    values: Mapping[str, Any], rule: Callable[[str], tuple[str, Transform] | None], source: str
) -> dict[str, torch.Tensor]:
    """Every source tensor converted and renamed by `rule`; any name the rule does not know is an error."""
    state: dict[str, torch.Tensor] = {}
    unknown = []
    for name, value in values.items():
        found = rule(name)
        if found is None:
            unknown.append(name)
            continue
        key, transform = found
        if key in state:
            raise CheckpointError(f"{source}: two tensors map to {key}")
        state[key] = transform(value)
    if unknown:
        raise _unsupported(source, unknown)
    return state


def _tensor(value: Any) -> torch.Tensor:
    """A float32, contiguous CPU tensor (sharing memory with the unpickled array where it can: no extra copy)."""
    if not isinstance(value, torch.Tensor):
        array = np.asarray(value, dtype=np.float32)
        value = torch.from_numpy(array if array.flags.writeable else array.copy())
    return value.detach().to(torch.float32).contiguous()


def _blur_kernels(state: dict[str, torch.Tensor]) -> None:
    """The FIR kernels rosinality keeps as buffers (its `make_kernel(k) * factor**2`), which NVIDIA does not store."""
    kernel = make_kernel(RESAMPLE_TAPS) * 4
    for j in range(sum(1 for k in state if re.fullmatch(r"to_rgbs\.\d+\.conv\.weight", k))):
        state[f"convs.{2 * j}.conv.blur.kernel"] = kernel.clone()
        state[f"to_rgbs.{j}.upsample.kernel"] = kernel.clone()


def _layer_index(resolution: str) -> int:
    """8 → 0, 16 → 1, ...: the index of a resolution's block in rosinality's `to_rgbs` (convs: twice it)."""
    r = int(resolution)
    if r < 8 or r & (r - 1):
        raise KeyError(resolution)
    return int(math.log2(r)) - 3


def _bias_or_noise_strength(prefix: str, kind: str, param: str) -> tuple[str, Transform] | None:
    """The two parameters both formats store alike: a layer's bias, and its noise strength (a scalar)."""
    if param == "noise_strength" and kind != "rgb":
        return f"{prefix}.noise.weight", lambda s: _tensor(s).reshape(1)
    if param == "bias" and kind == "rgb":
        return f"{prefix}.bias", lambda b: _tensor(b).reshape(1, -1, 1, 1)
    if param == "bias":
        return f"{prefix}.activate.bias", _tensor
    return None


def _unsupported(source: str, unknown: list[str]) -> CheckpointError:
    hints = (
        (r"(mapping/Label\w+|mapping\.embed)\b.*", "a conditional (class-label) generator"),
        (r".*ToRGB_lod\d+/.*", "a progressive-growing generator (StyleGAN2 configs a-d)"),
        (r".*[/.]Skip/.*|.*\.skip\..*", "a residual ('resnet') generator"),
    )
    for pattern, what in hints:
        if any(re.fullmatch(pattern, name) for name in unknown):
            return CheckpointError(
                f"{source}: {what}; only unconditional StyleGAN2 'skip' generators (configs e and f, and "
                f"stylegan2-ada's defaults) are supported (found {key_list(unknown)})"
            )
    return CheckpointError(f"{source}: tensors that are not part of a StyleGAN2 generator: {key_list(unknown)}")


# ---------------------------------------------------------------------------- TensorFlow (NVlabs/stylegan2)


def _tf_variables(network: TFNetwork, source: str, prefix: str = "") -> dict[str, Any]:
    """All variables of a network and its components, named `component/.../variable` (as legacy.py does)."""
    found = {prefix + str(name): value for name, value in network.variables}
    for name, component in network.components.items():
        if not isinstance(component, TFNetwork):
            raise CheckpointError(f"{source}: component {prefix}{name} is not a network")
        found.update(_tf_variables(component, source, f"{prefix}{name}/"))
    return found


def _tf_layer(scope: str, resolution: str) -> tuple[str, str]:
    """A TF layer scope → (rosinality prefix, kind), kind one of conv, up (upsampling conv), rgb."""
    if resolution == "4":
        return {"Conv": ("conv1", "conv"), "ToRGB": ("to_rgb1", "rgb")}[scope]
    j = _layer_index(resolution)
    return {
        "Conv0_up": (f"convs.{2 * j}", "up"),
        "Conv1": (f"convs.{2 * j + 1}", "conv"),
        "ToRGB": (f"to_rgbs.{j}", "rgb"),
    }[scope]


def _tf_conv_weight(flip: bool) -> Transform:
    def transform(w: Any) -> torch.Tensor:
        w = _tensor(w).permute(3, 2, 0, 1)  # [kh, kw, in, out] → [out, in, kh, kw]
        if flip:  # TF's upsample_conv_2d flips the kernel for its transposed conv; rosinality stores it flipped
            w = w.flip(2, 3)
        return w.unsqueeze(0).contiguous()

    return transform


def _tf_rule(name: str) -> tuple[str, Transform] | None:
    if name == "dlatent_avg":
        return "latent_avg", _tensor
    if m := re.fullmatch(r"mapping/Dense(\d+)/(weight|bias)", name):
        i, param = int(m[1]), m[2]
        return f"style.{i + 1}.{param}", (lambda w: _tensor(w).T.contiguous()) if param == "weight" else _tensor
    if m := re.fullmatch(r"synthesis/noise(\d+)", name):
        return f"noises.noise_{int(m[1])}", _tensor
    if name == "synthesis/4x4/Const/const":
        return "input.input", _tensor
    m = re.fullmatch(
        r"synthesis/(\d+)x\1/(Conv|Conv0_up|Conv1|ToRGB)/(weight|mod_weight|mod_bias|noise_strength|bias)", name
    )
    if not m:
        return None
    try:
        prefix, kind = _tf_layer(m[2], m[1])
    except KeyError:
        return None
    param = m[3]
    if param == "weight":
        return f"{prefix}.conv.weight", _tf_conv_weight(flip=kind == "up")
    if param == "mod_weight":
        return f"{prefix}.conv.modulation.weight", lambda w: _tensor(w).T.contiguous()  # [w_dim, in] → [in, w_dim]
    if param == "mod_bias":
        return f"{prefix}.conv.modulation.bias", lambda b: _tensor(b) + 1  # TF adds the 1 at run time
    return _bias_or_noise_strength(prefix, kind, param)


_TF_IGNORED = {"lod"}  # G_main's progressive-growing level: unused by a trained StyleGAN2


def _from_tensorflow(network: TFNetwork, source: str) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    if not {"mapping", "synthesis"} <= set(network.components):
        raise CheckpointError(
            f"{source}: network {network.name} is not a generator (components: "
            f"{key_list(sorted(network.components))}); expected Gs with mapping and synthesis"
        )
    kwargs = network.static_kwargs
    if kwargs.get("architecture", "skip") != "skip":
        raise CheckpointError(
            f"{source}: a {kwargs['architecture']!r} generator; only 'skip' (configs e, f) is supported"
        )
    if tuple(kwargs.get("resample_kernel", RESAMPLE_TAPS)) != RESAMPLE_TAPS:
        raise CheckpointError(f"{source}: resample kernel {kwargs['resample_kernel']}, only [1, 3, 3, 1] is supported")
    variables = {k: v for k, v in _tf_variables(network, source).items() if k not in _TF_IGNORED}
    state = _apply_table(variables, _tf_rule, source)
    if "latent_avg" not in state:
        raise CheckpointError(f"{source}: network {network.name} has no dlatent_avg (the average w)")
    latent_avg = state.pop("latent_avg")
    _blur_kernels(state)
    return state, latent_avg


# ---------------------------------------------------------------------------- PyTorch (stylegan2-ada-pytorch)


def _module_tensors(module: PersistentObject, source: str, prefix: str = "") -> dict[str, torch.Tensor]:
    """Parameters and buffers of a pickled module and its children, named as `named_parameters` would."""
    state = module.state
    found: dict[str, torch.Tensor] = {}
    for group in ("_parameters", "_buffers"):
        for name, value in (state.get(group) or {}).items():
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise CheckpointError(f"{source}: {prefix}{name} is a {type(value).__name__}, expected a tensor")
            found[prefix + name] = value
    for name, child in (state.get("_modules") or {}).items():
        if child is None:
            continue
        if not isinstance(child, PersistentObject):
            raise CheckpointError(
                f"{source}: module {prefix}{name} is a {type(child).__name__}, expected a network layer"
            )
        found.update(_module_tensors(child, source, f"{prefix}{name}."))
    return found


def _ada_rule(name: str) -> tuple[str, Transform] | None:
    if name == "mapping.w_avg":
        return "latent_avg", _tensor
    if m := re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", name):
        return f"style.{int(m[1]) + 1}.{m[2]}", _tensor
    if name == "synthesis.b4.const":
        return "input.input", lambda c: _tensor(c).unsqueeze(0)
    m = re.fullmatch(
        r"synthesis\.b(\d+)\.(conv0|conv1|torgb)\.(weight|bias|noise_strength|noise_const|affine\.weight|affine\.bias)",
        name,
    )
    if not m:
        return None
    res, layer, param = m[1], m[2], m[3]
    scopes = (
        {"conv1": "Conv", "torgb": "ToRGB"} if res == "4" else {"conv0": "Conv0_up", "conv1": "Conv1", "torgb": "ToRGB"}
    )
    try:
        prefix, kind = _tf_layer(scopes[layer], res)
    except KeyError:
        return None
    if param == "weight":
        return f"{prefix}.conv.weight", lambda w: _tensor(w).unsqueeze(0)  # conv0 is stored flipped already
    if param == "affine.weight":
        return f"{prefix}.conv.modulation.weight", _tensor
    if param == "affine.bias":
        return f"{prefix}.conv.modulation.bias", _tensor  # initialised to 1 and stored with it
    if kind != "rgb" and param == "noise_const":
        log2 = int(math.log2(int(res)))
        index = 0 if res == "4" else 2 * log2 - (5 if layer == "conv0" else 4)
        return f"noises.noise_{index}", lambda n: _tensor(n).reshape(1, 1, *n.shape[-2:])
    return _bias_or_noise_strength(prefix, kind, param)


def _clamp_note(g_ema: PersistentObject) -> str:
    """ada's fp16 configs clamp activations to ±conv_clamp (256 in its FFHQ networks); our generator does not."""
    kwargs = g_ema.state.get("_init_kwargs")
    synthesis = kwargs.get("synthesis_kwargs") if isinstance(kwargs, dict) else None
    clamp = synthesis.get("conv_clamp") if isinstance(synthesis, dict) else None
    if not isinstance(clamp, (int, float)):
        return ""
    return f" (NVIDIA's code clamps its activations to ±{clamp:g}; the engine does not, as rosinality's port)"


def _from_pytorch(g_ema: PersistentObject, source: str) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    tensors = _module_tensors(g_ema, source)
    if any(re.match(r"synthesis\.(input\.|L\d+_)", name) for name in tensors):
        raise StyleGAN3NotSupported(
            f"{source}: a StyleGAN3 (alias-free) generator; its synthesis network is not StyleGAN2's, so this "
            "engine cannot run it. StyleGAN2 pickles of stylegan2-ada-pytorch and stylegan3 (the stylegan2 config) work"
        )
    filters = {name: t for name, t in tensors.items() if name.endswith(".resample_filter")}
    expected = make_kernel(RESAMPLE_TAPS)
    for name, value in filters.items():
        if value.shape != expected.shape or not torch.allclose(value.float(), expected):
            raise CheckpointError(f"{source}: {name} is not the [1, 3, 3, 1] filter of StyleGAN2; not supported")
    state = _apply_table({k: v for k, v in tensors.items() if k not in filters}, _ada_rule, source)
    if "latent_avg" not in state:
        raise CheckpointError(f"{source}: G_ema has no mapping.w_avg (the average w)")
    latent_avg = state.pop("latent_avg")
    _blur_kernels(state)
    return state, latent_avg
