"""Session store speed and size: ms per append / undo / redo / current state, and bytes per edit.

    python benchmarks/sessions.py                 # a temporary SQLite file
    python benchmarks/sessions.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test   # (uses a scratch schema)

Steps have full 1024 px sizes: W+ float32 [18, 512] (36,864 bytes), StyleSpace float32 [9088] (36,352 bytes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sessions import NewEdit, Person, SessionStore, migrate
from bot.sessions.database import display_url, make_engine

NUM_WS, STYLE_CHANNELS = 18, 9088


def make_edit(kind: str, seed: int) -> NewEdit:
    rng = np.random.default_rng(seed)
    step = rng.standard_normal((NUM_WS, 512) if kind == "w_plus" else STYLE_CHANNELS, dtype=np.float32)
    return NewEdit(
        text="make it cuter",
        instruction="edit: cute",
        method="mapper" if kind == "w_plus" else "global_direction",
        reason="a trained mapper matches the prompt" if kind == "w_plus" else "150 relevant channels",
        strength=0.1 if kind == "w_plus" else 4.0,
        step_kind=kind,
        step=step,
    )


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    print(f"  {name:<34} {statistics.median(times):7.2f} ms median, {statistics.mean(times):7.2f} ms mean "
          f"({len(times)} runs)")


def stored_size(engine: Engine, sqlite_file: Path | None) -> int:
    """Bytes the edits table takes on disk (SQLite: the whole file after a checkpoint)."""
    with engine.connect() as connection:
        if sqlite_file is not None:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return sqlite_file.stat().st_size
        return int(connection.execute(text("SELECT pg_total_relation_size('edits')")).scalar_one())


def bytes_per_edit(store: SessionStore, kind: str, count: int, sqlite_file: Path | None) -> tuple[int, float]:
    person = Person("bench", "size", kind)
    store.start(person, np.zeros((NUM_WS, 512), np.float32), "ffhq-1024")
    edit = make_edit(kind, 0)
    payload = edit.step.nbytes + sum(len(s.encode()) for s in (edit.text, edit.instruction, edit.method, edit.reason))
    before = stored_size(store.engine, sqlite_file)
    for _ in range(count):
        store.append(person, edit)
    return payload, (stored_size(store.engine, sqlite_file) - before) / count


def run(engine: Engine, sqlite_file: Path | None, sizes: list[int]) -> None:
    migrate.upgrade(engine)
    store = SessionStore(engine)
    print(f"database: {display_url(engine.url)}")
    for size in sizes:
        person = Person("bench", "chat", f"user-{size}")
        store.start(person, np.zeros((NUM_WS, 512), np.float32), "ffhq-1024")
        edits = iter([make_edit("w_plus" if i % 2 == 0 else "style", i) for i in range(size)])
        repeats = max(20, min(100, size))
        print(f"session growing to {size} edits (W+ and StyleSpace steps, alternating):")
        report("append", timed(lambda person=person, edits=edits: store.append(person, next(edits)), size))
        report(f"current state ({size} active steps)", timed(lambda person=person: store.current(person), repeats))
        report("history listing", timed(lambda person=person: store.history(person), repeats))
        report("undo", timed(lambda person=person: store.undo(person), min(size, repeats)))
        report("redo", timed(lambda person=person: store.redo(person), min(size, repeats)))
        report("more (rescale the last edit)", timed(lambda person=person: store.rescale_last(person, 1.25), repeats))

    for kind in ("w_plus", "style"):
        payload, on_disk = bytes_per_edit(store, kind, 100, sqlite_file)
        print(f"bytes per {kind} edit: {payload:,} payload (step + text), {on_disk:,.0f} stored")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL URL (a scratch schema is created and dropped); default SQLite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200], help="edits per session to time")
    args = parser.parse_args()
    if args.url:
        admin = create_engine(args.url)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(args.url).update_query_dict({"options": f"-csearch_path={schema}"})
            engine = make_engine(url.render_as_string(hide_password=False))
            run(engine, None, args.sizes)
            engine.dispose()
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sessions.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        run(engine, path, args.sizes)
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
