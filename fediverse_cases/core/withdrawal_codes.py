"""Withdrawal codes: the secret a patient holds to withdraw their case without an account.
Stdlib only.

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B),
shown as four groups of four: 26^16 ≈ 4e22 possibilities, far beyond guessing through a
rate-limited page. Only a keyed hash (HMAC-SHA256 with the instance secret) is stored, so a copy
of the database alone does not reveal codes, and lookups can still go by the hash. The second
check (date of birth) is stored as an HMAC of a per-consent random salt and the date: the date
itself is an identifier and is never kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUPS = 4
GROUP_SIZE = 4
CODE_LENGTH = GROUPS * GROUP_SIZE


def new_code() -> str:
    """A fresh code, formatted for reading aloud and typing: ``ABCD-EFGH-JKMN-PQRT``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + GROUP_SIZE] for i in range(0, len(raw), GROUP_SIZE))


def normalize(text: str) -> str | None:
    """What a person typed, as the canonical 16 characters; None if it cannot be a code.

    Spaces, dashes and case are forgiven; so are the look-alikes people are likely to type
    (O for 0 is not in the alphabet either way, so they simply fail).
    """
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def code_digest(secret: str, code: str) -> str:
    """The stored form of a (normalized) code."""
    return hmac.new(secret.encode(), b"withdrawal-code:" + code.encode(), hashlib.sha256).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def check_digest(secret: str, salt: str, answer: str) -> str:
    """The stored form of the second check (an ISO date of birth)."""
    message = f"withdrawal-check:{salt}:{answer.strip()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(stored: str, computed: str) -> bool:
    """Constant-time comparison, so response timing says nothing about how close a guess was."""
    return bool(stored) and hmac.compare_digest(stored, computed)
