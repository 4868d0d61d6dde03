"""When a comment waits for the home hospital's reviewer instead of appearing at once.

Fail closed: a text the identifier scanner flags is never shown until a reviewer approves it.
A local author is shown the findings first and may fix them; if they send it anyway, it is
held. A remote comment with findings is held the same way (the peer is told nothing). An
instance may also hold every comment of accounts younger than a set number of days.
Stdlib only, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class HoldDecision:
    hold: bool
    reason: str = ""


def hold_decision(
    finding_kinds: Iterable[str],
    *,
    account_since: datetime | None,
    now: datetime,
    new_account_days: int,
) -> HoldDecision:
    """Whether a comment is held, and why (shown to the reviewer and in the audit log)."""
    kinds = sorted(set(finding_kinds))
    if kinds:
        return HoldDecision(True, f"possible identifiers: {', '.join(kinds)}")
    if new_account_days > 0 and (
        account_since is None or now - account_since < timedelta(days=new_account_days)
    ):
        return HoldDecision(True, f"account younger than {new_account_days} days")
    return HoldDecision(False)


def findings_json(findings: Iterable[tuple[int, int, str]]) -> list[list[object]]:
    """Findings as stored on a held comment, for the reviewer's highlighting."""
    return [[start, end, kind] for start, end, kind in findings]
