"""`styleclip-bot serve`: the engine as a Ray Serve application, for bots on other processes or machines."""

from __future__ import annotations

import argparse
import os
import signal
import threading

TOKEN_VAR = "STYLECLIP_ENGINE_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the engine as a Ray Serve application (bots reach it with STYLECLIP_ENGINE_URL)",
        description="Deploy the engine on Ray Serve: on a local Ray, or on the cluster at $RAY_ADDRESS. Each "
        "replica holds one model set (one GPU each when there are GPUs). Bots started with "
        "STYLECLIP_ENGINE_URL=http://HOST:PORT use it and load no model. Beyond loopback the engine needs a "
        f"shared secret: set {TOKEN_VAR} here and on every bot. Runs until Ctrl+C.",
    )
    parser.add_argument("--demo", action="store_true", help="small random models: no download, meaningless images")
    parser.add_argument("--replicas", type=int, default=1, help="engine replicas (default 1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")
    parser.add_argument("--offline", action="store_true",
                        help="download nothing: use the model files in the cache (also STYLECLIP_OFFLINE=1)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from engine.serve.deploy import ServeConfigError, ServeOptions, start, stop

    options = ServeOptions(
        demo=args.demo, replicas=args.replicas, host=args.host, port=args.port, device=args.device,
        offline=args.offline or None, token=os.environ.get(TOKEN_VAR) or None,
    )
    try:
        start(options)  # checks the options before it starts anything
    except ServeConfigError as exc:
        print(f"error: {exc}")
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"Engine: {options.replicas} replica(s) at http://{options.host}:{options.port} "
          f"(GET /ready says when the models are loaded). Bots: STYLECLIP_ENGINE_URL=http://{options.host}:"
          f"{options.port}. Stop with Ctrl+C.", flush=True)
    try:
        while not done.wait(1.0):
            pass
    finally:
        print("Stopping the engine ...", flush=True)
        stop()
    return 0
