"""`fediverse-cases doctor --config FILE`: check the set-up and print what to fix.

Exit status 0 when nothing needs fixing (warnings allowed), 1 when something does, 2 when the
settings themselves do not load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from fediverse_cases.cli.common import add_config_argument
from fediverse_cases.services.doctor import Finding, diagnose
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import SettingsError, load_settings

MARKS = {"ok": "ok  ", "warn": "WARN", "fix": "FIX "}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "doctor", help="check settings, database, keys, folders, proxy mode and peers"
    )
    add_config_argument(parser)
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as error:
        print(f"FIX  settings   {error}")
        return 2

    async def work() -> list[Finding]:
        state = AppState.from_settings(settings)
        try:
            return await diagnose(state)
        finally:
            await state.close()

    findings = asyncio.run(work())
    for finding in findings:
        print(f"{MARKS[finding.status]} {finding.topic:10} {finding.message}")
    to_fix = sum(finding.status == "fix" for finding in findings)
    print(f"{to_fix} problem(s) to fix." if to_fix else "Nothing to fix.", file=sys.stdout)
    return 1 if to_fix else 0
