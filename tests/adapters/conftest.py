"""Starting the bot installs the token mask on the root logger's handlers (pytest's among them): take it off
after each test, so other tests see their log records untouched."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.tokens import remove_token_mask


@pytest.fixture(autouse=True)
def no_token_mask_left_behind():
    httpx_level = logging.getLogger("httpx").level
    yield
    remove_token_mask()
    logging.getLogger("httpx").setLevel(httpx_level)
