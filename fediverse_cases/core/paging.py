"""Rules of paging: urgencies, the question, on-call schedules, when a page escalates, and the
response-time figures moderators see.

Stdlib only. A page asks a group's on-call members about a case: ``now`` (come at once) or
``today``. A member is on call when their toggle is on, or when the current UTC time falls in
their weekly schedule (weekday digits, Monday = 0, and a ``HH:MM``-``HH:MM`` window; a window
whose end is before its start runs past midnight into the next day).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

MAX_QUESTION_LENGTH = 500
ANSWERED_WITHIN = timedelta(hours=1)
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Urgency(StrEnum):
    NOW = "now"
    TODAY = "today"


class PagingRuleError(ValueError):
    """A page or on-call setting breaks a rule; the message says which, for the person."""


def check_urgency(value: str) -> Urgency:
    try:
        return Urgency(value)
    except ValueError:
        raise PagingRuleError("Choose how urgent: now or today.") from None


def check_question(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise PagingRuleError("Write a short question.")
    if len(text) > MAX_QUESTION_LENGTH:
        raise PagingRuleError(f"Keep the question under {MAX_QUESTION_LENGTH} characters.")
    return text


@dataclass(frozen=True)
class Schedule:
    days: str = ""  # weekday digits, Monday = 0
    start: str = ""  # HH:MM, UTC
    end: str = ""

    @property
    def empty(self) -> bool:
        return not self.days


def check_schedule(days: Sequence[str], start: str, end: str) -> Schedule:
    """The schedule from the form: no day means no schedule."""
    picked = "".join(sorted({d for d in days if d in "0123456"}))
    if not picked:
        return Schedule()
    if not _CLOCK_RE.match(start) or not _CLOCK_RE.match(end) or start == end:
        raise PagingRuleError("Give the on-call hours as HH:MM to HH:MM (UTC), two different times.")
    return Schedule(picked, start, end)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_schedule(schedule: Schedule, now: datetime) -> bool:
    if schedule.empty:
        return False
    start, end, moment = _clock(schedule.start), _clock(schedule.end), now.time().replace(tzinfo=None)
    if start < end:
        return str(now.weekday()) in schedule.days and start <= moment < end
    # Past midnight: the evening part belongs to today, the morning part to yesterday's shift.
    if moment >= start:
        return str(now.weekday()) in schedule.days
    return moment < end and str((now.weekday() - 1) % 7) in schedule.days


def is_on_call(enabled: bool, schedule: Schedule, now: datetime) -> bool:
    return enabled or in_schedule(schedule, now)


def escalation_due(
    sent_at: datetime | None, answered: bool, escalated: bool, now: datetime, after: timedelta
) -> bool:
    """An unanswered page escalates once, ``after`` its sending."""
    return sent_at is not None and not answered and not escalated and now - sent_at >= after


@dataclass(frozen=True)
class ResponseStats:
    pages: int
    answered: int
    median_minutes: float | None
    share_within_hour: float | None  # of all pages sent, answered within an hour


def response_stats(pages: Sequence[tuple[datetime, datetime | None]]) -> ResponseStats:
    """Figures over ``(sent_at, first_answer_at)`` pairs: the median first-answer time of the
    answered pages, and the share of all pages answered within an hour (an unanswered page
    counts as not answered in time)."""
    waits = [answer - sent for sent, answer in pages if answer is not None]
    if not pages:
        return ResponseStats(0, 0, None, None)
    median = statistics.median(w.total_seconds() / 60 for w in waits) if waits else None
    within = sum(1 for w in waits if w <= ANSWERED_WITHIN)
    return ResponseStats(len(pages), len(waits), median, within / len(pages))
