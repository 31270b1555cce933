"""What every stage shares: a named rule, and a first-match walk over an ordered list of them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger("bot.dialog")

Given = TypeVar("Given")
Found = TypeVar("Found")


@dataclass(frozen=True)
class Rule(Generic[Given, Found]):
    """One way of reading a message: `apply` answers, or returns None to let the next rule try."""

    name: str                                   # "commands.slash", "frames.add": what the debug log says
    apply: Callable[[Given], Found | None]


def first_match(rules: Iterable[Rule[Given, Found]], given: Given) -> tuple[str, Found] | None:
    """The first rule that answers, with its name; None when none does. Logs the rule (never the text)."""
    for rule in rules:
        found = rule.apply(given)
        if found is not None:
            log.debug("rule %s fired: %s", rule.name, type(found).__name__)
            return rule.name, found
    return None
