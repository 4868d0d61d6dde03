"""The pure rules of polls and outcomes: option lists, votes, who sees results, code shapes, and
the Question/vote shapes read from peers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fediverse_cases.activitypub.base import InvalidDocument
from fediverse_cases.activitypub.registry import parse_activity
from fediverse_cases.convert.polls import poll_from_question, question_from_note, vote_from_note
from fediverse_cases.core import outcomes, polls

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["Tinea corporis", "  Granuloma   annulare ", "", ""], ["Tinea corporis", "Granuloma annulare"]),
        ([f"Option {i}" for i in range(8)], [f"Option {i}" for i in range(8)]),
    ],
)
def test_clean_options_keeps_two_to_eight(raw: list[str], expected: list[str]) -> None:
    assert polls.clean_options(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [["Only one"], [f"Option {i}" for i in range(9)], ["Same", "same"], ["A" * 101, "B"]],
    ids=["one", "nine", "duplicate", "too-long"],
)
def test_clean_options_refuses(raw: list[str]) -> None:
    with pytest.raises(polls.PollRuleError):
        polls.clean_options(raw)


def test_a_local_poll_closes_its_duration_after_publication() -> None:
    assert polls.closes_at(duration_seconds=3600, expires_at=None, published_at=None) is None
    end = polls.closes_at(duration_seconds=3600, expires_at=None, published_at=NOW)
    assert end == NOW + timedelta(hours=1)
    assert not polls.is_closed(end, NOW) and polls.is_closed(end, end)


def _check(**changes: object) -> polls.VoteCheck:
    base = {
        "closed": False,
        "is_author": False,
        "professional": True,
        "already_voted": False,
        "multiple": False,
        "option_count": 3,
    }
    return polls.VoteCheck(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("check", "choices", "message"),
    [
        (_check(professional=False), [0], "Only verified"),
        (_check(is_author=True), [0], "own poll"),
        (_check(closed=True), [0], "ended"),
        (_check(already_voted=True), [0], "already voted"),
        (_check(), [], "Choose"),
        (_check(), [3], "No such option"),
        (_check(), [0, 1], "single choice"),
    ],
)
def test_check_vote_says_why_a_vote_is_refused(
    check: polls.VoteCheck, choices: list[int], message: str
) -> None:
    with pytest.raises(polls.PollRuleError, match=message):
        polls.check_vote(check, choices)


def test_check_vote_accepts_several_choices_when_allowed() -> None:
    assert polls.check_vote(_check(multiple=True), [2, 0, 2]) == [0, 2]


def test_results_are_hidden_until_voted_or_closed_except_for_the_author() -> None:
    assert not polls.results_visible(voted=False, closed=False, is_author=False)
    assert polls.results_visible(voted=True, closed=False, is_author=False)
    assert polls.results_visible(voted=False, closed=True, is_author=False)
    assert polls.results_visible(voted=False, closed=False, is_author=True)


@pytest.mark.parametrize(
    ("code", "system", "error"),
    [
        ("403468003", "snomed-ct", None),
        ("L92.0", "icd-10", None),
        ("A09", "icd-10", None),
        ("L92.0", "snomed-ct", "code"),
        ("12345", "snomed-ct", "code"),
        ("403468003", "icd-10", "code"),
        ("403468003", "", "code_system"),
    ],
)
def test_outcome_codes_are_checked_for_the_shape_of_their_system(
    code: str, system: str, error: str | None
) -> None:
    value = outcomes.OutcomeInput("Granuloma annulare", "certain", "histology", code, system).normalized()
    errors = outcomes.check_outcome(value)
    assert (error in errors) if error else not errors


def test_outcome_needs_diagnosis_certainty_and_method() -> None:
    errors = outcomes.check_outcome(outcomes.OutcomeInput("", "sure", "guess").normalized())
    assert set(errors) == {"diagnosis", "certainty", "method"}


def test_question_round_trip_and_vote_shape() -> None:
    note = {"id": "https://a.example/cases/1", "type": "Note", "attributedTo": "https://a.example/users/ada"}
    question = question_from_note(
        note, ["Tinea", "Eczema"], [1, 2], multiple=True, end=NOW, closed=True, voters_count=2
    )
    assert question["type"] == "Question" and note["type"] == "Note"
    assert question["anyOf"][1] == {
        "type": "Note",
        "name": "Eczema",
        "replies": {"type": "Collection", "totalItems": 2},
    }
    assert question["endTime"] == question["closed"] == "2026-12-01T12:00:00Z"
    remote = poll_from_question(question)
    assert (remote.options, remote.counts, remote.multiple, remote.voters_count) == (
        ("Tinea", "Eczema"),
        (1, 2),
        True,
        2,
    )
    activity = parse_activity(
        {"id": "https://a.example/c/1", "type": "Create", "actor": note["attributedTo"], "object": question}
    )
    assert activity.object.voters_count == 2 and activity.object.attributed_to == note["attributedTo"]
    with pytest.raises(InvalidDocument):
        poll_from_question({**question, "anyOf": [{"type": "Note", "name": "Only"}]})


def test_a_note_is_a_vote_only_with_a_name_and_no_content() -> None:
    vote = {
        "id": "https://b.example/u#votes/1",
        "type": "Note",
        "name": "Tinea",
        "attributedTo": "https://b.example/u",
        "inReplyTo": "https://a.example/cases/1",
    }
    assert vote_from_note(vote) is not None
    assert vote_from_note({**vote, "content": "<p>I think tinea</p>"}) is None
    assert vote_from_note({k: v for k, v in vote.items() if k != "name"}) is None
