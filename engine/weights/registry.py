"""Every model file the product uses: a short name, the file, where it comes from, and what loads it.

Sources are the ones the authors publish (README tables, download helpers, notebooks) and copies that
well-known projects download in their own code, cited per entry. The downloader tries a mirror set with
`$STYLECLIP_WEIGHTS_MIRROR` first, then every non-Drive source, then Google Drive (`download.sources`):
Drive's daily quota per file is what most often stops a download. Google Drive ids become
`https://drive.google.com/uc?export=download&id=ID`; the downloader follows
Drive's "can't scan this file for viruses" page. Sizes are approximate and only for display: the
completeness check uses the server's Content-Length, the integrity check the sha256. Where no sha256 is
published, the first download records one in the cache (trust on first use) and later checks use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.weights.errors import UnknownWeights

MB = 1_000_000


def drive(file_id: str) -> str:
    """The direct-download URL of a public Google Drive file."""
    return f"https://drive.google.com/uc?export=download&id={file_id}"


@dataclass(frozen=True)
class WeightFile:
    """One model file.

    Attributes:
        name: short name used on the command line (`styleclip-bot weights download NAME`).
        filename: path inside the cache, ending in the file name the official code uses.
        approx_bytes: rough size, for listings and disk-space planning only.
        loaded_by: what in the product reads it.
        urls: sources to try in order (official first, then mirrors).
        sha256: published checksum, or None when the authors published none.
        group: the kind of file (generator, clip, encoder, identity, global, mapper).
        note: anything a person fetching it by hand should know.
    """

    name: str
    filename: str
    approx_bytes: int
    loaded_by: str
    urls: tuple[str, ...]
    sha256: str | None = None
    group: str = ""
    note: str = ""


# StyleCLIP's mapper download table, `utils.py` (`google_drive_paths`), orpatashnik/StyleCLIP.
_MAPPER_DRIVE_IDS = {
    "afro": "1i5vAqo4z0I-Yon3FNft_YZOq7ClWayQJ",
    "angry": "1g82HEH0jFDrcbCtn3M22gesWKfzWV_ma",
    "beyonce": "1KJTc-h02LXs4zqCyo7pzCp0iWeO6T9fz",
    "bobcut": "1IvyqjZzKS-vNdq_OhwapAcwrxgLAY8UF",
    "bowlcut": "1xwdxI2YCewSt05dEHgkpmmzoauPjEnnZ",
    "curly_hair": "1xZ7fFB12Ci6rUbUfaHPpo44xUFzpWQ6M",
    "depp": "1FPiJkvFPG_y-bFanxLLP91wUKuy-l3IV",
    "hilary_clinton": "1X7U2zj2lt0KFifIsTfOOzVZXqYyCWVll",
    "mohawk": "1oMMPc8iQZ7dhyWavZ7VNWLwzf9aX4C09",
    "purple_hair": "14H0CGXWxePrrKIYmZnDD2Ccs65EEww75",
    "surprised": "1F-mPrhO-UeWrV1QYMZck63R43aLtPChI",
    "taylor_swift": "10jHuHsKKJxuf3N0vgQbX_SMEQgFHDrZa",
    "trump": "14v8D0uzy4tOyfBU3ca9T0AzTt3v-dNyh",
    "zuckerberg": "1NjDcMUL8G-pO3i_9N6EPpQNXeMc3Ar1r",
}

_STYLECLIP_RAW = "https://raw.githubusercontent.com/orpatashnik/StyleCLIP/main"
# HairFastGAN (AIRI-Institute, NeurIPS 2024) ships its pretrained models in this Hugging Face repository;
# its README clones it, and its code loads the files at the paths used below.
_HAIRFAST_HF = "https://huggingface.co/AIRI-Institute/HairFastGAN/resolve/main/pretrained_models"

_CORE = (
    WeightFile(
        name="stylegan2-ffhq",
        filename="stylegan2-ffhq-config-f.pt",
        approx_bytes=364 * MB,
        loaded_by="engine.stylegan2.load_generator (rosinality format: g_ema + latent_avg)",
        urls=(
            # HairFastGAN loads this as a rosinality Generator(1024, 512, 8, channel_multiplier=2), i.e. the
            # same config-f FFHQ network in the same layout (hair_swap.py, `ckpt="pretrained_models/StyleGAN/ffhq.pt"`).
            f"{_HAIRFAST_HF}/StyleGAN/ffhq.pt",
            # StyleCLIP README ("manually download from here"), StyleCLIP utils.py, e4e and pSp README tables.
            drive("1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT"),
        ),
        group="generator",
        note="NVIDIA's FFHQ 1024 config-f weights converted by rosinality/stylegan2-pytorch.",
    ),
    WeightFile(
        name="clip-vit-b32",
        filename="ViT-B-32.pt",
        approx_bytes=354 * MB,
        loaded_by="CLIP ViT-B/32 via the clip package (clip.load(path))",
        # openai/CLIP clip/clip.py `_MODELS["ViT-B/32"]`; the path segment before the file name is its sha256.
        urls=(
            "https://openaipublic.azureedge.net/clip/models/"
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
        ),
        sha256="40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
        group="clip",
    ),
    WeightFile(
        name="e4e-ffhq",
        filename="e4e_ffhq_encode.pt",
        approx_bytes=1_200 * MB,
        loaded_by="e4e encoder (state_dict with encoder./decoder. prefixes, latent_avg, opts)",
        urls=(
            # HairFastGAN's code loads `pretrained_models/encoder4editing/e4e_ffhq_encode.pt` (models/Encoders.py).
            f"{_HAIRFAST_HF}/encoder4editing/e4e_ffhq_encode.pt",
            drive("1cUv_reLE6k3604or78EranS7XzuVMWeO"),  # omertov/encoder4editing README, "FFHQ Inversion"
            drive("1O8OLrVNOItOJoNGMyQ8G8YRTeTYEfs0P"),  # StyleCLIP notebooks/StyleCLIP_global_torch.ipynb, e4e setup
        ),
        group="encoder",
        note="The second source is the copy StyleCLIP's global-direction notebook downloads (1.20 GB there).",
    ),
    WeightFile(
        name="arcface-ir-se50",
        filename="model_ir_se50.pth",
        approx_bytes=175 * MB,
        loaded_by="ArcFace IR-SE50 for the identity loss",
        urls=(
            # splatviz's inversion code (its IDLoss) downloads this copy when the file is missing.
            "https://huggingface.co/Fubei/splatviz_inversion_checkpoints/resolve/main/model_ir_se50.pth",
            # StyleCLIP README (mapper setup), e4e and pSp README "IR-SE50 Model" (from TreB1eN/InsightFace_Pytorch).
            drive("1KW7bjndL3QG3sxBbZxreGHigcCCpsDgn"),
        ),
        group="identity",
    ),
    WeightFile(
        name="fs3",
        filename="fs3.npy",
        approx_bytes=25 * MB,
        loaded_by="global direction: channel relevance table, 6048 x 512 (StyleSpace channels x CLIP dims)",
        # StyleCLIP's global-direction code loads ./npy/ffhq/fs3.npy and its README says the FFHQ table is
        # precomputed and shipped with the repository; the paths below follow that layout (not pinned to a commit).
        urls=(
            f"{_STYLECLIP_RAW}/global_torch/npy/ffhq/fs3.npy",
            f"{_STYLECLIP_RAW}/global_directions/npy/ffhq/fs3.npy",
        ),
        group="global",
    ),
    WeightFile(
        name="s-mean-std",
        filename="S_mean_std",
        approx_bytes=1 * MB,
        loaded_by="global direction: per-channel mean and std of StyleSpace (a pickle of (mean, std) lists)",
        # Not published: StyleCLIP makes it with `python GetCode.py --dataset_name ffhq --code_type s_mean_std`
        # (global_directions/ and global_torch/ do the same from 100k random samples). No URL is invented here.
        urls=(),
        group="global",
        note="No public download: generate it with StyleCLIP's GetCode.py (--code_type s_mean_std) "
        "or from the generator's style vectors, then place it in the cache.",
    ),
)

_MAPPERS = tuple(
    WeightFile(
        name=f"mapper-{prompt}",
        filename=f"mappers/{prompt}.pt",
        approx_bytes=130 * MB,
        loaded_by=f"StyleCLIP latent mapper for {prompt!r} (state_dict: mapper.* + decoder.*, opts)",
        urls=(drive(file_id),),
        group="mapper",
    )
    for prompt, file_id in _MAPPER_DRIVE_IDS.items()
)

REGISTRY: tuple[WeightFile, ...] = _CORE + _MAPPERS


def current() -> tuple[WeightFile, ...]:
    """The registry as it is now: read at call time, so a test (or a site) can replace `REGISTRY`."""
    return REGISTRY


def names(registry: Sequence[WeightFile] | None = None) -> list[str]:
    """The short names, in registry order."""
    return [entry.name for entry in (current() if registry is None else registry)]


def select(wanted: Iterable[str] | None, registry: Sequence[WeightFile] | None = None) -> list[WeightFile]:
    """The entries named in `wanted` (all of them when it is empty or None), in the order asked.

    A name may also be a group (`mapper`, `global`, ...) or a file name.

    Raises:
        UnknownWeights: a name matches nothing.
    """
    registry = current() if registry is None else registry
    wanted = list(wanted or [])
    if not wanted:
        return list(registry)
    chosen: list[WeightFile] = []
    for name in wanted:
        hits = [e for e in registry if name in (e.name, e.filename, e.filename.rsplit("/", 1)[-1])]
        hits = hits or [e for e in registry if e.group == name]
        if not hits:
            raise UnknownWeights(name, names(registry))
        chosen += [e for e in hits if e not in chosen]
    return chosen


def get(name: str, registry: Sequence[WeightFile] | None = None) -> WeightFile:
    """The entry with this exact short name (what the engine asks for: `ensure(get("stylegan2-ffhq"))`).

    Raises:
        UnknownWeights: no such name.
    """
    registry = current() if registry is None else registry
    for entry in registry:
        if entry.name == name:
            return entry
    raise UnknownWeights(name, names(registry))
