"""Helpers shared by the subcommands: the --config option, loading settings, running async code."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fediverse_cases.services.state import AppState
from fediverse_cases.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


class CommandError(Exception):
    """A failure to report as one line on stderr with exit status 1."""


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="instance settings file (TOML); FEDIVERSE_CASES_* environment variables override it",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config)
    except SettingsError as error:
        print(f"fediverse-cases: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def run_with_state(args: argparse.Namespace, work: Callable[[AppState], Awaitable[T]]) -> int:
    """Run ``work`` with a fresh AppState; a CommandError becomes a one-line message and exit 1."""
    settings = settings_from_args(args)

    async def runner() -> None:
        state = AppState.from_settings(settings)
        try:
            await work(state)
        finally:
            await state.close()

    try:
        asyncio.run(runner())
    except CommandError as error:
        print(f"fediverse-cases: {error}", file=sys.stderr)
        return 1
    return 0
