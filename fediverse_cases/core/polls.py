"""The rules of differential polls, as pure functions: how many options and how long, how long
a poll runs, and who sees its results when. Stdlib only.

Results are hidden from a clinician until they have voted or the poll has closed, so a tally
cannot steer their own differential; the case's author (who cannot vote) always sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_OPTIONS = 2
MAX_OPTIONS = 8
OPTION_MAX = 100
# Durations offered in the composer (seconds -> label); the API accepts any value in range.
DURATIONS = {
    3600: "1 hour",
    6 * 3600: "6 hours",
    86400: "1 day",
    3 * 86400: "3 days",
    7 * 86400: "7 days",
    14 * 86400: "14 days",
}
MIN_DURATION = 300
MAX_DURATION = 30 * 86400


class PollRuleError(ValueError):
    """A poll or a vote breaks a rule; the message is for the person."""


def clean_options(raw: Sequence[str]) -> list[str]:
    """The non-empty option titles, checked: 2-8, each at most ``OPTION_MAX`` characters, distinct."""
    options = [" ".join(text.split()) for text in raw]
    options = [text for text in options if text]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PollRuleError(f"A poll has {MIN_OPTIONS} to {MAX_OPTIONS} candidate diagnoses.")
    if any(len(text) > OPTION_MAX for text in options):
        raise PollRuleError(f"Each candidate diagnosis is at most {OPTION_MAX} characters.")
    if len({text.casefold() for text in options}) != len(options):
        raise PollRuleError("Each candidate diagnosis must be different.")
    return options


def check_duration(seconds: int) -> int:
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise PollRuleError("A poll runs between 5 minutes and 30 days.")
    return seconds


def closes_at(
    *, duration_seconds: int, expires_at: datetime | None, published_at: datetime | None
) -> datetime | None:
    """When the poll closes: a remote poll's own end time, a local one's publication plus its
    duration; None while a local case is not yet published."""
    if expires_at is not None:
        return expires_at
    if published_at is None or duration_seconds <= 0:
        return None
    return published_at + timedelta(seconds=duration_seconds)


def is_closed(end: datetime | None, now: datetime) -> bool:
    return end is not None and now >= end


@dataclass(frozen=True)
class VoteCheck:
    closed: bool
    is_author: bool
    professional: bool
    already_voted: bool
    multiple: bool
    option_count: int


def check_vote(check: VoteCheck, choices: Sequence[int]) -> list[int]:
    """The distinct choices of a valid vote; raises PollRuleError saying why a vote is refused."""
    if not check.professional:
        raise PollRuleError("Only verified healthcare professionals vote.")
    if check.is_author:
        raise PollRuleError("You cannot vote in your own poll.")
    if check.closed:
        raise PollRuleError("The poll has already ended.")
    if check.already_voted:
        raise PollRuleError("You have already voted in this poll.")
    distinct = sorted(set(choices))
    if not distinct:
        raise PollRuleError("Choose a diagnosis.")
    if any(not 0 <= choice < check.option_count for choice in distinct):
        raise PollRuleError("No such option.")
    if len(distinct) > 1 and not check.multiple:
        raise PollRuleError("This poll takes a single choice.")
    return distinct


def results_visible(*, voted: bool, closed: bool, is_author: bool) -> bool:
    return voted or closed or is_author
