#!/usr/bin/env bash
# Create .venv and install the bot with its test extra. PyTorch goes first, pinned, so that
# no dependency pulls another multi-GB build; the `clip` package needs torchvision and
# pkg_resources (hence setuptools<81).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet "setuptools<81" "torch==2.14.1" "torchvision==0.29.1"
.venv/bin/pip install --quiet -e ".[test]"
