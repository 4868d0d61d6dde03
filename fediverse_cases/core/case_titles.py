"""A case's title: what lists, notifications, the review queue and the Note's ``name`` show.

New local cases have one (required, scanned for identifiers like the caption). Cases from before
titles, remote cases whose Note has no ``name`` and posts from Mastodon clients (which have no
title field) get one derived from the caption: its first sentence or line, cut at a word, never
mid-word."""

from __future__ import annotations

import re
from typing import Protocol

TITLE_MAX = 120
DERIVED_TITLE_MAX = 80
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")


class Titled(Protocol):
    title: str
    caption: str


def derive_title(caption: str, limit: int = DERIVED_TITLE_MAX) -> str:
    first = _SENTENCE_END.split(caption.strip(), maxsplit=1)[0].strip()
    if len(first) <= limit:
        return first.rstrip(".")
    cut = first[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or first[:limit]) + "…"


def case_title(case: Titled) -> str:
    return case.title.strip() or derive_title(case.caption) or "Untitled case"
