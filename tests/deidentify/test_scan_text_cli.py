"""`fediverse-cases scan-text INPUT.jsonl --out OUTPUT.jsonl`, run as users run it: the installed
console script in a subprocess, checked against the exact output contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "fediverse-cases"


def scan(tmp_path: Path, lines: list[str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out" / "findings.jsonl"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "scan-text", str(source), "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, target


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    if not SCRIPT.exists():
        pytest.fail(f"console script not installed at {SCRIPT}; pip install -e . first")


def test_findings_follow_the_contract(tmp_path: Path) -> None:
    records = [
        {"id": "c-1", "text": "Reminds me of Mary Jones from ward 4, who lives on Elm Street"},
        {"id": "c-2", "text": "Looks like erythema multiforme; Bell's palsy in 2019."},
        {"id": "c-3", "text": "Lucía (95 yo) — call 555-123-4567 or mail lucia@example.org", "extra": 1},
    ]
    done, target = scan(tmp_path, [json.dumps(r, ensure_ascii=False) for r in records] + [""])
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert out == [
        {
            "id": "c-1",
            "findings": [
                {"start": 14, "end": 24, "kind": "name"},
                {"start": 51, "end": 61, "kind": "address"},
            ],
        },
        {"id": "c-2", "findings": []},
        {
            "id": "c-3",
            "findings": [
                {"start": 0, "end": 5, "kind": "name"},
                {"start": 7, "end": 12, "kind": "age"},
                {"start": 21, "end": 33, "kind": "phone"},
                {"start": 42, "end": 59, "kind": "email"},
            ],
        },
    ]
    # Offsets are code points into the original text, whatever the script or accent.
    text = records[2]["text"]
    assert [text[f["start"] : f["end"]] for f in out[2]["findings"]] == [
        "Lucía",
        "95 yo",
        "555-123-4567",
        "lucia@example.org",
    ]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "b", "text": "unterminated', "line 2: not valid JSON"),
        ('{"id": "b"}', 'line 2: missing "text"'),
        ('{"text": "no id"}', 'line 2: missing "id"'),
        ('{"id": 7, "text": "x"}', 'line 2: "id" must be a string'),
        ('["id", "text"]', "line 2: expected an object"),
    ],
)
def test_bad_line_is_named_and_leaves_no_output(tmp_path: Path, bad_line: str, message: str) -> None:
    done, target = scan(tmp_path, ['{"id": "a", "text": "fine"}', bad_line, '{"id": "c", "text": "fine"}'])
    assert done.returncode == 1
    assert message in done.stderr and "in.jsonl" in done.stderr
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left either


def test_failed_run_keeps_an_earlier_output_intact(tmp_path: Path) -> None:
    done, target = scan(tmp_path, ['{"id": "a", "text": "fine"}'])
    assert done.returncode == 0
    before = target.read_text()
    done, _ = scan(tmp_path, ["not json"])
    assert done.returncode == 1 and "line 1" in done.stderr
    assert target.read_text() == before


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "scan-text", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "nope.jsonl" in done.stderr
    assert not (tmp_path / "o.jsonl").exists()
