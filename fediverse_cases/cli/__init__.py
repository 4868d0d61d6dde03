"""The `fediverse-cases` command: builds the argument parser from the subcommand modules.

Each subcommand module exposes ``register(subparsers)``, which adds its parsers and sets
``handler=<function(args) -> int>`` as the parser default. ``main`` dispatches to that handler
and turns its return value into the exit status.

The two stand-alone tools, ``deidentify`` and ``scan-text``, need neither the database nor the
web stack, so they get a parser of their own: a cold ``fediverse-cases deidentify`` then pays
for the engine only, not for importing Quart, SQLAlchemy and every other subcommand (about
1.5 s on these 2-core machines; issue 17 asks for a cold call under 3 s).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fediverse_cases.cli import deidentify, scan_text

DESCRIPTION = "Run and administer a fediverse-cases hospital instance."
STANDALONE = {"deidentify": deidentify, "scan-text": scan_text}


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:  # type: ignore[type-arg]
    parser = argparse.ArgumentParser(prog="fediverse-cases", description=DESCRIPTION)
    return parser, parser.add_subparsers(dest="command", metavar="COMMAND")


def build_parser() -> argparse.ArgumentParser:
    # Imported here rather than at the top of the module: these load the database and web
    # stack, which the stand-alone tools above must not pay for at every cold start.
    from fediverse_cases.cli import (
        backup,
        cases,
        dicom_listener,
        doctor,
        example_config,
        groups,
        instance,
        peers,
        tokens,
        users,
        worker,
    )

    parser, subparsers = _parser()
    # Order is the order of `fediverse-cases --help`.
    for module in (
        instance,
        users,
        deidentify,
        scan_text,
        cases,
        peers,
        groups,
        worker,
        dicom_listener,
        tokens,
        example_config,
        doctor,
        backup,
    ):
        module.register(subparsers)
    return parser


def standalone_parser(command: str) -> argparse.ArgumentParser:
    """A parser that knows only ``command`` (one of ``STANDALONE``)."""
    parser, subparsers = _parser()
    STANDALONE[command].register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = standalone_parser(words[0]) if words and words[0] in STANDALONE else build_parser()
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
