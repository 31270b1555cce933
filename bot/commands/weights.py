"""`styleclip-bot weights`: list, download, verify and locate the model files."""

from __future__ import annotations

import argparse
import sys

from engine.weights import registry as _registry


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "weights",
        help="list, download, verify and locate the model files",
        description="Manage the model files in the cache folder ($STYLECLIP_HOME, else "
        "$XDG_DATA_HOME/styleclip-bot/weights, by default ~/.local/share/styleclip-bot/weights).",
    )
    actions = parser.add_subparsers(dest="weights_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser("list", help="every model file, its size, sources and whether it is here")
    listing.set_defaults(func=list_command)

    get = actions.add_parser("download", help="download model files (all of them when no name is given)",
                             description="Download model files into the cache, resuming partial downloads. "
                             "NAMES are short names from `weights list`, file names, or a group (e.g. mapper).")
    get.add_argument("names", nargs="*", metavar="NAME")
    get.add_argument("--force", action="store_true", help="download again even if a good copy is present")
    get.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a server (default 30)")
    get.set_defaults(func=download_command)

    check = actions.add_parser("verify", help="check cached files against their sha256",
                               description="Hash cached files and compare with the published sha256 or the one "
                               "recorded at first download: ok / mismatch / missing / unverified.")
    check.add_argument("names", nargs="*", metavar="NAME")
    check.set_defaults(func=verify_command)

    where = actions.add_parser("path", help="print the cache folder, or where one file belongs")
    where.add_argument("name", nargs="?", metavar="NAME")
    where.set_defaults(func=path_command)


def _human(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}" if n < 10 * size else f"{n / size:.0f} {unit}"
    return f"{n} B"


def list_command(args: argparse.Namespace) -> int:
    from engine.weights import cache_dir, file_path

    root = cache_dir()
    print(f"cache: {root}")
    rows = []
    for entry in _registry.current():
        path = file_path(entry, root)
        here = "present" if path.is_file() else "partial" if path.with_name(path.name + ".part").is_file() else "-"
        checksum = "sha256" if entry.sha256 else "tofu"
        sources = f"{len(entry.urls)} url" + ("s" if len(entry.urls) != 1 else "") if entry.urls else "none"
        rows.append((entry.name, entry.filename, f"~{_human(entry.approx_bytes)}", here, checksum, sources))
    header = ("name", "file", "size", "here", "check", "sources")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print("check: sha256 = published checksum; tofu = recorded at first download, verified afterwards")
    return 0


def download_command(args: argparse.Namespace) -> int:
    from engine.weights import WeightsError, cache_dir, download, file_path, select
    from engine.weights.download import sources

    root = cache_dir()
    try:
        entries = select(args.names)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for entry in entries:
        if not any(sources(entry)) and not args.names:  # asked for everything: say what to do, don't fail on it
            print(f"skip {entry.name}: {entry.note} It belongs at {file_path(entry, root)}")
            continue
        try:
            path = download(entry, root, force=args.force, timeout=args.timeout)
        except WeightsError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        print(f"ok  {entry.name}  {path}")
    if failed:
        print(f"{failed} of {len(entries)} file(s) not downloaded.", file=sys.stderr)
    return 1 if failed else 0


def verify_command(args: argparse.Namespace) -> int:
    from engine.weights import State, WeightsError, cache_dir, select, verify

    try:
        entries = select(args.names)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = verify(entries, cache_dir())
    width = max(len(r.entry.name) for r in results)
    for r in results:
        detail = {
            State.OK: "",
            State.MISMATCH: f"  sha256 {r.sha256} expected {r.expected}: corrupt or a different file; "
            f"delete it and run `styleclip-bot weights download {r.entry.name}`",
            State.MISSING: f"  {r.path}",
            State.UNVERIFIED: "  no published or recorded sha256 to compare with",
        }[r.state]
        print(f"{r.entry.name.ljust(width)}  {r.state.value}{detail}")
    if not args.names:
        from engine.service.models import pick_device
        from engine.service.report import ready_report

        print()
        print(ready_report(cache_dir(), device=str(pick_device())))
    bad = any(r.state is State.MISMATCH for r in results)
    missing_named = bool(args.names) and any(r.state is State.MISSING for r in results)
    return 1 if bad or missing_named else 0


def path_command(args: argparse.Namespace) -> int:
    from engine.weights import WeightsError, cache_dir, file_path, select

    root = cache_dir()
    if not args.name:
        print(root)
        return 0
    try:
        entries = select([args.name])
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for entry in entries:
        print(file_path(entry, root))
    return 0
