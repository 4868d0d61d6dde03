"""The `fediverse-cases` command: builds the argument parser from the subcommand modules.

Each subcommand module exposes ``register(subparsers)``, which adds its parsers and sets
``handler=<function(args) -> int>`` as the parser default. ``main`` dispatches to that handler
and turns its return value into the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fediverse_cases.cli import (
    backup,
    cases,
    deidentify,
    doctor,
    example_config,
    instance,
    peers,
    scan_text,
    tokens,
    users,
    worker,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fediverse-cases",
        description="Run and administer a fediverse-cases hospital instance.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Order is the order of `fediverse-cases --help`.
    for module in (
        instance,
        users,
        deidentify,
        scan_text,
        cases,
        peers,
        worker,
        tokens,
        example_config,
        doctor,
        backup,
    ):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
