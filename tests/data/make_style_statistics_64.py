"""Make tests/data/style_statistics_64.npz with StyleCLIP's own code (not ours).

Runs StyleCLIP's PyTorch global-direction statistics, `global_torch/manipulate.py`
`Manipulator.GenerateS(num_img)` then `GetCodeMS()` (the calls `global_torch/StyleCLIP.py` makes, with
num_img=100_000), on StyleCLIP's generator class `global_torch/training/networks.py` built at 64 px, with
the mapping network, the per-layer affine maps and `w_avg` of the stylegan2_64 conformance manifest. The
rest of that generator (convolutions, noise) keeps its random init: the statistics never read it.

    python tests/data/make_style_statistics_64.py STYLECLIP_CHECKOUT [NUM_SAMPLES]

Needs only the checkout's `global_torch/**/*.py` (commit f87a47f7fc39e19a1f6c88293875692b303bf168 made
the stored file) and runs on a CPU. One stand-in at import time, no file changed: `cv2` (imported by
`visualizer.py` for its HTML pages, never called here) is an empty module with the two constants
`visualizer.py` reads as default argument values.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.manifests import state_dict_from_manifest, vectors  # noqa: E402

RESOLUTIONS = (8, 16, 32, 64)


def nvidia_names() -> dict[str, str]:
    """rosinality key → key of StyleCLIP's (NVIDIA-layout) generator, for the parts the statistics read.

    Both layouts store these weights the same way (equalized lr: weight · lr_mul / √in, bias · lr_mul).
    """
    names = {}
    for i in range(8):
        for part in ("weight", "bias"):
            names[f"style.{i + 1}.{part}"] = f"mapping.fc{i}.{part}"
    for part in ("weight", "bias"):
        names[f"conv1.conv.modulation.{part}"] = f"synthesis.b4.conv1.affine.{part}"
        names[f"to_rgb1.conv.modulation.{part}"] = f"synthesis.b4.torgb.affine.{part}"
        for j, res in enumerate(RESOLUTIONS):
            names[f"convs.{2 * j}.conv.modulation.{part}"] = f"synthesis.b{res}.conv0.affine.{part}"
            names[f"convs.{2 * j + 1}.conv.modulation.{part}"] = f"synthesis.b{res}.conv1.affine.{part}"
            names[f"to_rgbs.{j}.conv.modulation.{part}"] = f"synthesis.b{res}.torgb.affine.{part}"
    return names


def main(root: Path, num_samples: int) -> None:
    cv2 = types.ModuleType("cv2")
    cv2.FONT_HERSHEY_TRIPLEX, cv2.LINE_8 = 4, 8
    sys.modules["cv2"] = cv2
    sys.path.insert(0, str(root / "global_torch"))
    import manipulate
    from training.networks import Generator

    ours = state_dict_from_manifest("stylegan2_64")
    conformance = vectors("stylegan2_64")
    torch.manual_seed(0)
    generator = (
        Generator(
            z_dim=512,
            c_dim=0,
            w_dim=512,
            img_resolution=64,
            img_channels=3,
            mapping_kwargs={"num_layers": 8},
            synthesis_kwargs={"channel_base": 16384, "channel_max": 512, "num_fp16_res": 0, "conv_clamp": None},
        )
        .eval()
        .requires_grad_(False)
    )
    state = generator.state_dict()
    for src, dst in nvidia_names().items():
        assert state[dst].shape == ours[src].shape, (src, dst)
        state[dst] = ours[src].clone()
    state["mapping.w_avg"] = torch.from_numpy(conformance["latent_avg"])
    generator.load_state_dict(state)

    # Cross-check the weight transfer against the conformance vectors that rosinality's code made.
    w = generator.mapping(torch.from_numpy(conformance["z"]), None)
    assert (w[:, 0] - torch.from_numpy(conformance["w"])).abs().max() < 1e-5
    styles = generator.synthesis.W2S(torch.from_numpy(conformance["wplus"]))
    for i, (name, s) in enumerate(styles.items()):
        assert (s - torch.from_numpy(conformance[f"style_{i:02d}_{name}"])).abs().max() < 1e-5, name

    # The reference, unchanged.
    m = manipulate.Manipulator()
    m.device = torch.device("cpu")
    m.G = generator
    m.SetGParameters()
    m.GenerateS(num_img=num_samples)
    m.GetCodeMS()
    assert (m.truncation_psi, m.truncation_cutoff) == (0.7, 8)

    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    arrays = {
        "num_samples": np.int64(num_samples),
        "layer_names": np.array(m.s_names),
        "source": np.array(
            f"orpatashnik/StyleCLIP {commit.stdout.strip()} global_torch/manipulate.py "
            "Manipulator.GenerateS(num_img) + GetCodeMS(), generator global_torch/training/networks.py"
        ),
    }
    for i, (mean, std, s) in enumerate(zip(m.code_mean, m.code_std, m.dlatents, strict=True)):
        arrays[f"mean_{i:02d}"], arrays[f"std_{i:02d}"] = mean, std
        # the same style vectors reduced in float64: a tighter target than numpy's float32 sums
        arrays[f"mean_f64_{i:02d}"] = s.astype(np.float64).mean(0)
        arrays[f"std_f64_{i:02d}"] = s.astype(np.float64).std(0)
    np.savez_compressed(HERE / "style_statistics_64.npz", **arrays)
    for i, name in enumerate(m.s_names):
        print(f"{i:2d} {name:22s} mean of means {m.code_mean[i].mean():+.4f}  mean of stds {m.code_std[i].mean():.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
