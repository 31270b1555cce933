"""Time and peak memory of `weights import` on full-size (1024 px, config-f) NVIDIA pickles.

Builds, in a scratch folder, random-valued pickles laid out exactly as NVIDIA's: a TensorFlow
`(G, D, Gs)` pickle (G and Gs with their own arrays, D about as large as a config-f discriminator)
and a stylegan2-ada-pytorch pickle (G, D, G_ema). Then imports each in a fresh process (so its
peak resident memory is its own) and prints file sizes, wall and CPU seconds and peak memory (VmHWM),
and the same for a process that only imports the modules (the baseline that every figure includes).

    python benchmarks/weights_import.py [--resolution 1024] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from engine.stylegan2 import default_channels
from tests.stylegan2.nvidia_pickles import ada_tensors, tf_variables, write_ada_pickle, write_tf_pickle

CHILD = """
import json, resource, sys, time
from engine.stylegan2.nvidia import import_generator
src, dest = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if src != "-":
    import_generator(src, dest, force=True)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child would report at least the parent's size.
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_gib": hwm_kib / 2**20}))
"""


def discriminator_variables(resolution: int) -> dict[str, np.ndarray]:
    """Arrays shaped like a config-f discriminator's convs (values are never read)."""
    ch = default_channels(resolution, 2)
    rng = np.random.default_rng(1)
    out = {}
    for r in sorted(ch, reverse=True):
        if r == 4:
            continue
        out[f"{r}x{r}/Conv0/weight"] = rng.standard_normal((3, 3, ch[r], ch[r]), dtype=np.float32)
        out[f"{r}x{r}/Conv1_down/weight"] = rng.standard_normal((3, 3, ch[r], ch[r // 2]), dtype=np.float32)
    out["4x4/Dense0/weight"] = rng.standard_normal((ch[4] * 16, ch[4]), dtype=np.float32)
    return out


def run_child(src: str, dest: Path) -> dict:
    cmd = [sys.executable, "-c", CHILD, src, str(dest)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--keep", type=Path, help="build the pickles in this folder and keep them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        res = args.resolution
        variables = tf_variables(res, default_channels(res, 2), 512, 8, seed=0)
        marker = folder / "ran.txt"
        tf_pkl = write_tf_pickle(folder / "tf-config-f.pkl", variables, marker, res, discriminator_variables(res))
        ada_pkl = write_ada_pickle(folder / "ada-config-f.pkl", ada_tensors(variables), marker)
        del variables

        baseline = run_child("-", folder / "none.pt")
        print(
            f"baseline (python + torch + engine imported): {baseline['cpu_seconds']:.1f} s CPU, "
            f"peak {baseline['peak_gib']:.2f} GiB"
        )
        for label, pkl in (("TensorFlow (G, D, Gs)", tf_pkl), ("ada-PyTorch (G, D, G_ema)", ada_pkl)):
            dest = folder / f"{pkl.stem}.pt"
            figures = run_child(str(pkl), dest)
            print(
                f"{label}: {pkl.stat().st_size / 1e6:.0f} MB pickle -> {dest.stat().st_size / 1e6:.0f} MB "
                f"rosinality file in {figures['seconds']:.1f} s ({figures['cpu_seconds']:.1f} s CPU with the imports), "
                f"peak {figures['peak_gib']:.2f} GiB"
            )
        assert not marker.exists(), "code from a pickle ran"


if __name__ == "__main__":
    main()
