"""Recall, over-flagging and speed of the free-text identifier scanner on the synthetic corpus
(bench/text_corpus.py).

Run from the repository root:

    .venv/bin/python bench/scan_text.py                   # the scanner in this tree
    .venv/bin/python bench/scan_text.py --baseline REV    # and the phi_text.py of git revision REV

Scores four sets: the generated corpus (templates with confounders, bench/text_corpus.py), a
hand-written set A the scanner was tuned on, a set B written afterwards (scored once untuned, then
fixed), and a set C written last and never tuned on: set C's numbers are the unbiased estimate. Prints, per kind, recall (share of planted
identifiers whose every letter and digit is covered by some finding), typed recall (covered by
findings of the right kind) and touched (any overlap); over-flagging (share of
confounder texts, which hold no identifier, with any finding, and the share of their characters
flagged; and on the identifier texts, the share of flagged characters outside planted spans); and
texts per second, with the one-time load of the word lists reported apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.text_corpus import (
    Sample,
    confounder_samples,
    fresh_confounders,
    fresh_samples,
    held_out_confounders,
    held_out_samples,
    phi_samples,
    set_c_confounders,
    set_c_samples,
)

Scanner = Callable[[str], Sequence[Any]]


def _covered(text: str, start: int, end: int, findings: Sequence[Any], kind: str | None) -> bool:
    marked = set()
    for f in findings:
        if kind is None or f.category == kind:
            marked.update(range(f.start, f.end))
    return all(i in marked for i in range(start, end) if text[i].isalnum())


def evaluate(scan: Scanner, phi: list[Sample], confounders: list[Sample]) -> dict[str, Any]:
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # caught, typed, total, touched
    outside = flagged_chars = 0
    misses: dict[str, list[str]] = defaultdict(list)
    for sample in phi:
        findings = scan(sample.text)
        gold = set()
        for start, end, kind in sample.spans:
            gold.update(range(start, end))
            row = hits[kind]
            row[2] += 1
            if _covered(sample.text, start, end, findings, None):
                row[0] += 1
            else:
                misses[kind].append(sample.text[start:end] + "  <-  " + sample.text)
            if _covered(sample.text, start, end, findings, kind):
                row[1] += 1
            if any(f.start < end and start < f.end for f in findings):
                row[3] += 1
        for f in findings:
            flagged_chars += f.end - f.start
            outside += sum(1 for i in range(f.start, f.end) if i not in gold)
    texts_flagged = chars = conf_chars = 0
    examples: list[str] = []
    for sample in confounders:
        findings = scan(sample.text)
        chars += len(sample.text)
        if findings:
            texts_flagged += 1
            conf_chars += sum(f.end - f.start for f in findings)
            if len(examples) < 8:
                examples.append(", ".join(repr(sample.text[f.start : f.end]) for f in findings))
    return {
        "hits": dict(hits),
        "misses": misses,
        "outside_share": outside / flagged_chars if flagged_chars else 0.0,
        "confounder_texts_flagged": texts_flagged / len(confounders),
        "confounder_chars_flagged": conf_chars / chars,
        "confounder_examples": examples,
    }


def speed(scan: Scanner, texts: list[str], rounds: int = 3) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            scan(text)
    return rounds * len(texts) / (time.perf_counter() - start)


def report(
    label: str, scan: Scanner, phi: list[Sample], confounders: list[Sample], verbose: bool, timed: bool = True
) -> None:
    t0 = time.perf_counter()
    scan("Warm-up: Mary Jones, 22 Elm Street, tel 555-123-4567.")
    load = time.perf_counter() - t0
    result = evaluate(scan, phi, confounders)
    print(f"== {label}")
    print(f"{'kind':<8} {'recall':>7} {'typed':>7} {'touched':>8} {'n':>5}")
    caught = total = touched_all = 0
    for kind, (hit, typed, n, touched) in sorted(result["hits"].items()):
        caught += hit
        total += n
        touched_all += touched
        print(f"{kind:<8} {hit / n:7.1%} {typed / n:7.1%} {touched / n:8.1%} {n:5d}")
    print(f"{'all':<8} {caught / total:7.1%} {'':>7} {touched_all / total:8.1%} {total:5d}")
    print(
        f"confounder texts with any finding: {result['confounder_texts_flagged']:.1%} of {len(confounders)}"
    )
    print(f"confounder characters flagged:     {result['confounder_chars_flagged']:.2%}")
    print(f"flagged characters outside planted identifiers (identifier texts): {result['outside_share']:.1%}")
    if timed:
        texts = [s.text for s in phi + confounders]
        rate = speed(scan, texts)
        mean = sum(map(len, texts)) / len(texts)
        print(f"speed: {rate:,.0f} texts/s (mean {mean:.0f} chars); first call {load:.2f} s")
    if verbose:
        for kind, missed in sorted(result["misses"].items()):
            for line in missed[:6]:
                print(f"  missed {kind}: {line}")
        for line in result["confounder_examples"]:
            print(f"  over-flagged: {line}")


def _baseline(rev: str) -> Scanner:
    """``scan_text`` from ``fediverse_cases/deidentify/phi_text.py`` as of git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:fediverse_cases/deidentify/phi_text.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_phi_text.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_phi_text", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_phi_text"] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module.scan_text  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", metavar="REV", help="also score phi_text.py from this git revision")
    parser.add_argument("--per-template", type=int, default=20, help="identifier texts per template")
    parser.add_argument("-v", "--verbose", action="store_true", help="print misses and over-flagged text")
    args = parser.parse_args()
    phi, confounders = phi_samples(per_template=args.per_template), confounder_samples()
    from fediverse_cases.deidentify import scan_text

    scanners: list[tuple[str, Scanner]] = [("scanner (this tree)", scan_text)]
    if args.baseline:
        scanners.append((f"baseline phi_text.py at {args.baseline}", _baseline(args.baseline)))
    sets = [
        ("generated corpus (templates)", phi, confounders, True),
        ("hand-written set A (tuned on)", held_out_samples(), held_out_confounders(), False),
        (
            "hand-written set B (fixes made after its first score)",
            fresh_samples(),
            fresh_confounders(),
            False,
        ),
        ("hand-written set C (never tuned on)", set_c_samples(), set_c_confounders(), False),
    ]
    for name, scan in scanners:
        for set_name, set_phi, set_confounders, timed in sets:
            report(f"{name}: {set_name}", scan, set_phi, set_confounders, args.verbose, timed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
