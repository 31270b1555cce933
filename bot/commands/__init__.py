"""Subcommands of `styleclip-bot`; each module has `register(subparsers)`."""
