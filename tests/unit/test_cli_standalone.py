"""The stand-alone tools (`deidentify`, `scan-text`) start without the database and web stack:
a cold call must not pay for importing Quart, SQLAlchemy or httpx (issue 17's cold-call budget),
while every other subcommand still appears in the full parser."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from fediverse_cases.cli import main
try:
    main([{command!r}, "--help"])
except SystemExit:
    pass
heavy = sorted(m for m in ("quart", "sqlalchemy", "httpx", "hypercorn") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def _heavy_modules_loaded(command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(command=command)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("HEAVY:"))[6:]


def test_deidentify_and_scan_text_start_without_the_web_stack() -> None:
    assert _heavy_modules_loaded("deidentify") == ""
    assert _heavy_modules_loaded("scan-text") == ""


def test_the_full_parser_still_lists_every_subcommand() -> None:
    from fediverse_cases.cli import build_parser

    text = build_parser().format_help()
    for command in (
        "init",
        "serve",
        "demo",
        "users",
        "deidentify",
        "scan-text",
        "cases",
        "peers",
        "worker",
        "doctor",
        "backup",
    ):
        assert command in text, command
    assert _heavy_modules_loaded("doctor") != ""  # the others do load it
