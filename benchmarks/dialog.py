"""Parsing speed: µs per message for the English and the Chinese phrasing corpora (the tests' tables), and
which rule answered how often. Parsing runs on the event loop, so it has to stay far below a millisecond.

    python benchmarks/dialog.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.dialog import parse
from tests.dialog.corpus import CORPUS
from tests.dialog.corpus_zh import CORPUS_ZH


class _Fired(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.rules: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.rules[str(record.args[0])] += 1


def per_message_us(texts: list[str], rounds: int) -> tuple[float, float]:
    """Median and 99th-percentile µs per message over `rounds` passes after one warm-up pass (the parser
    keeps no cache between messages except the pure, bounded one of `frames.request`)."""
    for text in texts:
        parse(text)
    times = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            parse(text)
            times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times), statistics.quantiles(times, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    for name, corpus in (("English", CORPUS), ("Chinese", CORPUS_ZH)):
        texts = [text for text, _ in corpus]
        median, p99 = per_message_us(texts, args.rounds)
        print(f"{name}: {len(texts)} messages, median {median:.0f} µs, p99 {p99:.0f} µs per message")
    fired = _Fired()
    logger = logging.getLogger("bot.dialog")
    logger.addHandler(fired)
    logger.setLevel(logging.DEBUG)
    for text, _ in (*CORPUS, *CORPUS_ZH):
        parse(text)
    print("rules that answered (both corpora, several-edit parts included):")
    for rule, count in fired.rules.most_common():
        print(f"  {rule:40s} {count}")


if __name__ == "__main__":
    main()
