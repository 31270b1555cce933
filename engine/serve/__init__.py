"""The engine as a Ray Serve application: `styleclip-bot serve` deploys it, bots reach it over HTTP.

- `replica`: one replica = one model set and today's in-process `Engine` (its batching and its scheduling,
  fast work before an optimization's next step), behind an HTTP ingress that speaks `engine.wire`;
- `deploy`: starts Ray (local, or the cluster at `RAY_ADDRESS`) and runs the application;
- `metrics`: what each replica counts, for Prometheus.

Importing this package imports neither Ray nor torch; its modules do.
"""
