"""The finding type every text detector returns, and the merge that makes findings non-overlapping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The kinds of the `scan-text` output contract; ``PhiFinding.category`` is always one of these.
KINDS: tuple[str, ...] = ("name", "address", "date", "age", "phone", "email", "id", "url", "ip", "other")

# When two detectors claim overlapping text, the more specific kind wins: an e-mail address holds
# a name-like local part, a URL a domain, "NHS number 943 476 5919" a phone-shaped number, an
# address a street named after a person.
_PRIORITY: dict[str, int] = {
    kind: rank
    for rank, kind in enumerate(
        ("email", "url", "ip", "id", "phone", "date", "age", "address", "name", "other")
    )
}


@dataclass(frozen=True, slots=True, order=True)
class PhiFinding:
    """Characters ``text[start:end]`` look like a Safe Harbor identifier of kind ``category``."""

    start: int
    end: int
    category: str


def resolve(text: str, candidates: Iterable[PhiFinding]) -> list[PhiFinding]:
    """Sorted, non-overlapping findings. Where spans overlap, the higher-priority kind (then the
    longer span) keeps the shared characters and the other keeps only what lies outside them, so
    a name running into an address is shortened, not lost."""
    ordered = sorted(candidates, key=lambda f: (_PRIORITY.get(f.category, 99), f.start - f.end, f.start))
    taken: list[PhiFinding] = []
    for finding in ordered:
        pieces = [(finding.start, finding.end)]
        for t in taken:
            next_pieces: list[tuple[int, int]] = []
            for start, end in pieces:
                if end <= t.start or t.end <= start:
                    next_pieces.append((start, end))
                    continue
                if start < t.start:
                    next_pieces.append((start, t.start))
                if t.end < end:
                    next_pieces.append((t.end, end))
            pieces = next_pieces
        for start, end in pieces:
            start, end = trim(text, start, end)
            # A leftover of spaces or punctuation is not an identifier.
            if end > start:
                taken.append(PhiFinding(start, end, finding.category))
    return sorted(taken)


_EDGE = " \t\r\n.,;:!?\"'"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without surrounding spaces and punctuation; empty if nothing alphanumeric."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if not any(c.isalnum() for c in text[start:end]):
        return start, start
    return start, end
