"""Paging's pure rules (on-call schedules, escalation timing, response figures, the question)
and the page Note: what FEDERATION.md shows is exactly what we send, and what we read back."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fediverse_cases.convert.pages import PageNote, page_activity, page_from_note
from fediverse_cases.core.paging import (
    PagingRuleError,
    Schedule,
    check_question,
    check_schedule,
    check_urgency,
    escalation_due,
    in_schedule,
    is_on_call,
    response_stats,
)
from fediverse_cases.settings import settings_from_mapping

REPO = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday


def at(day: int, clock: str) -> datetime:
    hours, minutes = clock.split(":")
    return MONDAY + timedelta(days=day, hours=int(hours), minutes=int(minutes))


def test_schedules_days_hours_and_night_shifts() -> None:
    weekdays = check_schedule(["0", "1", "2", "3", "4"], "08:00", "17:00")
    assert weekdays == Schedule("01234", "08:00", "17:00")
    assert in_schedule(weekdays, at(0, "08:00")) and in_schedule(weekdays, at(4, "16:59"))
    assert not in_schedule(weekdays, at(0, "17:00")) and not in_schedule(weekdays, at(5, "10:00"))
    # A Friday night shift runs into Saturday morning, not into Friday morning.
    night = check_schedule(["4"], "22:00", "06:00")
    assert in_schedule(night, at(4, "23:30")) and in_schedule(night, at(5, "05:59"))
    assert not in_schedule(night, at(4, "05:00")) and not in_schedule(night, at(5, "06:00"))
    assert check_schedule([], "", "") == Schedule() and not in_schedule(Schedule(), at(0, "09:00"))
    assert is_on_call(True, Schedule(), at(6, "03:00")) and not is_on_call(False, Schedule(), at(0, "09:00"))
    for start, end in (("8:00", "17:00"), ("08:00", "24:00"), ("09:00", "09:00")):
        with pytest.raises(PagingRuleError):
            check_schedule(["0"], start, end)


def test_escalation_is_due_once_after_the_wait_unless_answered() -> None:
    sent, wait = at(0, "10:00"), timedelta(minutes=30)
    assert not escalation_due(sent, False, False, sent + timedelta(minutes=29), wait)
    assert escalation_due(sent, False, False, sent + wait, wait)
    assert not escalation_due(sent, True, False, sent + timedelta(hours=3), wait)
    assert not escalation_due(sent, False, True, sent + timedelta(hours=3), wait)
    assert not escalation_due(None, False, False, sent + timedelta(hours=3), wait)


def test_response_figures_median_and_share_within_an_hour() -> None:
    sent = at(0, "10:00")
    pages = [
        (sent, sent + timedelta(minutes=5)),
        (sent, sent + timedelta(minutes=15)),
        (sent, sent + timedelta(minutes=90)),
        (sent, None),  # never answered: not answered within the hour
    ]
    stats = response_stats(pages)
    assert (stats.pages, stats.answered, stats.median_minutes) == (4, 3, 15)
    assert stats.share_within_hour == 0.5
    assert response_stats([]).median_minutes is None
    assert response_stats([(sent, None)]).share_within_hour == 0


def test_urgency_and_question() -> None:
    assert check_urgency("today") == "today"
    with pytest.raises(PagingRuleError):
        check_urgency("whenever")
    assert check_question("  Tinea   or\ngranuloma?  ") == "Tinea or granuloma?"
    with pytest.raises(PagingRuleError):
        check_question(" ")
    with pytest.raises(PagingRuleError):
        check_question("x" * 501)


def test_escalate_after_minutes_is_a_setting() -> None:
    base = {
        "instance": {"name": "A", "base_url": "https://a.example"},
        "database": {"url": "sqlite+aiosqlite:///x.db"},
        "session": {"secret": "s" * 40},
    }
    assert settings_from_mapping(base).paging.escalate_after_minutes == 30
    assert (
        settings_from_mapping({**base, "paging": {"escalate_after_minutes": 5}}).paging.escalate_after_minutes
        == 5
    )
    with pytest.raises(ValueError):
        settings_from_mapping({**base, "paging": {"escalate_after_minutes": 0}})


def _documented_page() -> dict:  # type: ignore[type-arg]
    text = (REPO / "FEDERATION.md").read_text(encoding="utf-8")
    section = text.split("## Paging: `fediverseCases:page`", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)```", section, flags=re.S)
    assert block is not None
    return json.loads(block.group(1))


def test_federation_md_shows_exactly_the_page_we_send_and_we_read_it_back() -> None:
    documented = _documented_page()
    sent = page_activity(
        PageNote(
            ap_id="https://a.example/pages/notes/3f9a1c",
            requester_uri="https://a.example/users/dr_req",
            group_uri="https://a.example/groups/dermatology",
            case_uri="https://a.example/cases/77d0",
            case_url="https://a.example/cases/77d0",
            case_title="Annular plaque on the forearm",
            urgency="now",
            question="Granuloma annulare or tinea? Patient still in clinic.",
            recipients=(("https://b.example/users/bob", "@bob@b.example"),),
            escalated=False,
            published=datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
        ),
        "https://b.example/inbox",
    )
    sent.pop("@context")
    assert sent == documented
    received = page_from_note(documented["object"])
    assert received is not None
    assert received.ap_id == "https://a.example/pages/notes/3f9a1c"
    assert received.group_uri == "https://a.example/groups/dermatology"
    assert received.case_uri == "https://a.example/cases/77d0" and received.urgency == "now"
    assert received.mentioned == ("https://b.example/users/bob",) and not received.escalated
    # Expanded IRIs are read as well as the compact prefix; an escalation names its page.
    expanded = {
        **documented["object"],
        "id": "https://a.example/pages/notes/3f9a1c/escalation",
        "fediverseCases:page": None,
        "https://fediverse-cases.example/ns#page": {
            "https://fediverse-cases.example/ns#urgency": "today",
            "https://fediverse-cases.example/ns#group": "https://a.example/groups/dermatology",
            "https://fediverse-cases.example/ns#case": "https://a.example/cases/77d0",
            "https://fediverse-cases.example/ns#escalated": True,
            "https://fediverse-cases.example/ns#escalates": "https://a.example/pages/notes/3f9a1c",
        },
    }
    del expanded["fediverseCases:page"]
    escalation = page_from_note(expanded)
    assert escalation is not None and escalation.escalated
    assert escalation.ap_id == "https://a.example/pages/notes/3f9a1c" and escalation.urgency == "today"
    assert escalation.question.startswith("@bob@b.example Page (now): Granuloma")  # from content
    assert (
        page_from_note({**documented["object"], "fediverseCases:page": {"fediverseCases:urgency": "soon"}})
        is None
    )
