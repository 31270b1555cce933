"""The photo around the face: paste-back time, bytes stored per photo, and the identity check's cost.

Prints the median time of `paste_back` (a 1024 px crop into the photo it came from) for the astronaut
scaled into a 1 MP and a 12 MP photo; the bytes a session keeps for a Telegram-sized JPEG (kept as
sent) and for a 12 MP phone JPEG with EXIF (re-encoded at 2048 px), with the placement and identity
reference; and the time of one ArcFace IR-SE50 embedding (random weights: the cost, not the values) at
batch 1 on this machine. No checkpoint needed (needs scikit-image for the photo).

    python benchmarks/paste_back.py [--repeats 7]

Times are medians, as wall clock and as this process's CPU time (the two agree on an idle machine).

On glibc, freeing the large buffers of a 12 MP paste can leave malloc slow for later ones; running with
MALLOC_MMAP_THRESHOLD_=131072 in the environment keeps the times flat (compare both if they wander).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

import numpy as np
import torch
from PIL import Image

from engine.identity import Backbone, IDLoss, identity_embeddings
from engine.inversion import DlibDetector, align_face
from engine.photos import FacePlacement, keep_photo, paste_back


def median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and median CPU milliseconds of `fn()` after one warm-up run.

    The CPU time (this process's, all threads) stands in for the wall time of an idle machine when
    others share the cores: paste-back is single-threaded, so on a busy machine wall > CPU.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def photo_of_size(face: np.ndarray, width: int, height: int) -> np.ndarray:
    """The astronaut scaled to the photo's height, on a gradient canvas of `width` × `height`."""
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[...] = np.linspace(40, 200, width, dtype=np.uint8)[None, :, None]
    side = min(width, height)
    scaled = np.asarray(Image.fromarray(face).resize((side, side), Image.Resampling.BILINEAR))
    left = (width - side) // 2
    canvas[:side, left : left + side] = scaled
    return canvas


def jpeg(array: np.ndarray, quality: int, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=quality, **options)
    return buf.getvalue()


def bench_paste(repeats: int) -> None:
    import skimage.data

    detector = DlibDetector()
    astronaut = skimage.data.astronaut()
    for label, (width, height) in (("1 MP", (1155, 866)), ("12 MP", (4000, 3000))):
        photo = photo_of_size(astronaut, width, height)
        aligned = align_face(photo, detector)
        placement = FacePlacement.of(aligned.transform, aligned.landmarks.outline)
        crop = aligned.image.resize((1024, 1024), Image.Resampling.BICUBIC)
        wall, cpu = median_ms(lambda p=photo, c=crop, pl=placement: paste_back(p, c, pl), repeats)
        side = placement.transform.scale * placement.transform.size
        print(
            f"paste_back {label} ({width}×{height}, face square {side:.0f} px, 1024 px crop): "
            f"median {wall:.1f} ms wall, {cpu:.1f} ms CPU"
        )


def bench_storage() -> None:
    import skimage.data

    astronaut = skimage.data.astronaut()
    telegram = jpeg(photo_of_size(astronaut, 1280, 960), 87)  # Telegram's largest photo size, no metadata
    exif = Image.Exif()
    exif[0x0110] = "Phone"  # Model
    exif[0x0112] = 1  # Orientation
    phone = jpeg(photo_of_size(astronaut, 4000, 3000), 95, exif=exif)
    detector = DlibDetector()
    for label, data in (("Telegram JPEG 1280×960", telegram), ("12 MP phone JPEG with EXIF", phone)):
        kept = keep_photo(data)
        aligned = align_face(data, detector)
        placement = FacePlacement.of(aligned.transform, aligned.landmarks.outline).resized(kept.size)
        placement_bytes = len(json.dumps(placement.to_dict()).encode())
        as_sent = "kept as sent" if kept.data == data else f"re-encoded at {kept.size[0]}×{kept.size[1]}"
        print(
            f"stored for a {label} ({len(data) / 1000:.0f} kB sent): photo {len(kept.data) / 1000:.0f} kB "
            f"({as_sent}), placement {placement_bytes} B, identity reference 1024 B (512 float16)"
        )


def bench_identity(repeats: int) -> None:
    torch.manual_seed(0)
    id_loss = IDLoss(Backbone().eval().requires_grad_(False))
    face = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    wall, cpu = median_ms(lambda: identity_embeddings(id_loss, [face]), repeats)
    print(
        f"identity check: one ArcFace IR-SE50 embedding of a 1024 px face on {torch.get_num_threads()} "
        f"CPU threads: median {wall:.0f} ms wall, {cpu:.0f} ms CPU (all threads) "
        "(a photo costs 2 embeddings, each edit or more/less 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    bench_paste(args.repeats)
    bench_storage()
    bench_identity(args.repeats)


if __name__ == "__main__":
    main()
