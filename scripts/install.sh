#!/usr/bin/env bash
# Create .venv and install the bot with its test extra. PyTorch goes first, pinned, so that
# no dependency pulls another multi-GB build; the `clip` package needs torchvision and
# pkg_resources (hence setuptools<81).
#
#   bash scripts/install.sh              # the bot and its tests
#   bash scripts/install.sh test,serve   # also Ray Serve, for `styleclip-bot serve` and its tests
set -euo pipefail
extras="${1:-test}"
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet "setuptools<81" "torch==2.14.1" "torchvision==0.29.1"
.venv/bin/pip install --quiet -e ".[$extras]"
