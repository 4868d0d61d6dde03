"""`fediverse-cases scan-text INPUT.jsonl --out OUTPUT.jsonl`: flag identifiers in free text.

For hospitals and auditors checking captions and comments in bulk. Each input line is a JSON
object ``{"id": "...", "text": "..."}``; each output line, in the same order, is
``{"id": "...", "findings": [{"start": int, "end": int, "kind": "..."}]}`` with offsets into
``text`` counted in Unicode code points, end exclusive, and ``kind`` one of name, address, date,
age, phone, email, id, url, ip, other. Blank lines are skipped. Exit status 0 on success; on a
malformed line, 1 with the line named on stderr and no output file written. Needs no instance.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


class InputError(Exception):
    """A line of the input that does not hold ``{"id": str, "text": str}``."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "scan-text",
        help="flag patient identifiers in JSON-lines text (id, text) -> (id, findings)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("input", type=Path, metavar="INPUT.jsonl", help='lines of {"id": ..., "text": ...}')
    parser.add_argument(
        "--out", required=True, type=Path, metavar="OUTPUT.jsonl", help="where to write findings"
    )
    parser.set_defaults(handler=run, _parser=parser)


def records(lines: TextIO, name: str) -> Iterator[tuple[str, str]]:
    """``(id, text)`` for each non-blank line; InputError naming the line for anything else."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            item: Any = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(item, dict):
            raise InputError(
                f'{where}: expected an object {{"id": ..., "text": ...}}, got {type(item).__name__}'
            )
        for field in ("id", "text"):
            if field not in item:
                raise InputError(f'{where}: missing "{field}"')
            if not isinstance(item[field], str):
                raise InputError(f'{where}: "{field}" must be a string, got {type(item[field]).__name__}')
        yield item["id"], item["text"]


def run(args: argparse.Namespace) -> int:
    from fediverse_cases.deidentify.phi_text import scan_text

    source: Path = args.input
    target: Path = args.out
    if not source.is_file():
        print(f"fediverse-cases scan-text: error: input not found or not a file: {source}", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end: a reader never sees half a file, and a
    # malformed input line leaves no output behind.
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with (
            os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out,
            source.open(encoding="utf-8", newline="") as lines,
        ):
            for record_id, text in records(lines, str(source)):
                findings = [{"start": f.start, "end": f.end, "kind": f.category} for f in scan_text(text)]
                out.write(json.dumps({"id": record_id, "findings": findings}, ensure_ascii=False) + "\n")
        os.replace(temp_name, target)
    except InputError as error:
        os.unlink(temp_name)
        print(f"fediverse-cases scan-text: error: {error}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as error:
        os.unlink(temp_name)
        print(
            f"fediverse-cases scan-text: error: {source} is not UTF-8 text ({error.reason})", file=sys.stderr
        )
        return 1
    except BaseException:
        os.unlink(temp_name)
        raise
    return 0
