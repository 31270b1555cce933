"""Subcommands of `styleclip-bot`; each module has `register(subparsers)`.

Modules import torch inside their `main` only: a bot process that uses a remote engine runs `run` from the
same command line and must not load it.
"""

import argparse

DEVICE_HELP = "torch device (default: cuda when present, else cpu)"


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, help=DEVICE_HELP)


def torch_device(name: str | None) -> str:
    """`name`, or the default device of this machine."""
    import torch

    return name or ("cuda" if torch.cuda.is_available() else "cpu")
