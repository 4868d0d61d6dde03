"""PHI scan for free text (case captions, alt text, comments, OCR'd lines): spans and kinds for
the UI to highlight and for `fediverse-cases scan-text`.

Flags every HIPAA Safe Harbor identifier as it appears in prose: names, addresses and small
places, dates (not the year alone), ages over 89, phone/fax numbers, e-mail, URLs, IP addresses,
and record/account/licence/device numbers; and stays quiet on clinical language (eponyms,
drugs, scores, lab values, doses, durations). It flags; it does not rewrite: the clinician decides.
The detectors live in ``deidentify.text``; this module is the stable entry point.
"""

from __future__ import annotations

from .text.dates import find_ages, find_dates
from .text.lexicon import name_lists
from .text.names import find_names
from .text.numbers import find_numbers
from .text.places import find_addresses
from .text.spans import KINDS, PhiFinding, resolve

__all__ = ["KINDS", "PhiFinding", "scan_text", "warm_up"]


def warm_up() -> None:
    """Load the name lists (about 0.15 s of CPU) and libphonenumber with its region metadata (about
    0.1-0.2 s) now, e.g. on a side thread at start-up, rather than at the first text scanned: in a
    cold `fediverse-cases deidentify` call that first scan sits on the main thread after detection,
    where nothing else can use the time."""
    name_lists()
    scan_text("Tel 020 7946 0958")  # a phone-shaped run: parsed in every region the scan knows


def scan_text(text: str) -> list[PhiFinding]:
    """Spans of likely identifiers in ``text``: sorted, non-overlapping, ``end`` exclusive, each
    with a ``category`` from ``KINDS``."""
    if not text or not any(c.isalnum() for c in text):
        return []
    candidates = [
        *find_numbers(text),
        *find_dates(text),
        *find_ages(text),
        *find_addresses(text),
        *find_names(text),
    ]
    return resolve(text, candidates)
