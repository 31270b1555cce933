"""The weights manager: which model files the product needs, where they live, and getting them there.

`REGISTRY` lists every file with its sources; `download` fetches one into the cache (resumable, checked,
atomic); `verify` says whether cached files are the right bytes; `cache_dir` is the folder
(`$STYLECLIP_HOME`, else `$XDG_DATA_HOME/styleclip-bot/weights`).
"""

from engine.weights.cache import Check, State, cache_dir, file_path, sha256_file, verify
from engine.weights.download import download, ensure
from engine.weights.errors import ChecksumMismatch, DownloadFailed, UnknownWeights, WeightsError
from engine.weights.registry import REGISTRY, WeightFile, get, names, select

__all__ = [
    "REGISTRY",
    "Check",
    "ChecksumMismatch",
    "DownloadFailed",
    "State",
    "UnknownWeights",
    "WeightFile",
    "WeightsError",
    "cache_dir",
    "download",
    "ensure",
    "file_path",
    "get",
    "names",
    "select",
    "sha256_file",
    "verify",
]
