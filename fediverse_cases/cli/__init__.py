"""The `fediverse-cases` command: builds the argument parser from the subcommand modules.

Each module in this package exposes ``register(subparsers)``, which adds its parsers and sets
``handler=<function(args) -> int>`` as the parser default. ``main`` dispatches to that handler
and turns its return value into the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Order is the order of `fediverse-cases --help`.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "fediverse_cases.cli.instance",
    "fediverse_cases.cli.users",
    "fediverse_cases.cli.deidentify",
    "fediverse_cases.cli.cases",
    "fediverse_cases.cli.peers",
    "fediverse_cases.cli.worker",
    "fediverse_cases.cli.tokens",
    "fediverse_cases.cli.example_config",
    "fediverse_cases.cli.doctor",
    "fediverse_cases.cli.backup",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fediverse-cases",
        description="Run and administer a fediverse-cases hospital instance.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
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
