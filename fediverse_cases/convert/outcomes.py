"""A case's confirmed outcome <-> our ``fediverseCases:outcome`` property. Pure.

On the case's Note (or Question), once the home hospital's reviewer approved it::

    "fediverseCases:outcome": {
      "type": "fediverseCases:ConfirmedOutcome",
      "fediverseCases:diagnosis": "Granuloma annulare",
      "fediverseCases:code": "403468003",
      "fediverseCases:codeSystem": "http://snomed.info/sct",
      "fediverseCases:certainty": "certain",
      "fediverseCases:confirmedBy": "histology",
      "fediverseCases:followUp": "Biopsy confirmed; resolved in 3 months.",
      "fediverseCases:recordedAt": "2026-11-30T10:00:00Z"
    }

The proof itself (reports, images) never leaves the home hospital.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fediverse_cases.activitypub.base import ext_value
from fediverse_cases.activitypub.constants import ext
from fediverse_cases.convert.cases import as2_datetime, parse_as2_datetime
from fediverse_cases.core import outcomes as rules

__all__ = ["OUTCOME_TYPE", "RemoteOutcome", "outcome_document", "outcome_from_document"]

OUTCOME_TYPE = ext("ConfirmedOutcome")


def outcome_document(
    *,
    diagnosis: str,
    code: str,
    code_system: str,
    certainty: str,
    method: str,
    follow_up: str,
    recorded_at: datetime | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": OUTCOME_TYPE,
        ext("diagnosis"): diagnosis,
        ext("certainty"): certainty,
        ext("confirmedBy"): method,
    }
    if code and code_system in rules.CODE_SYSTEMS:
        document[ext("code")] = code
        document[ext("codeSystem")] = rules.CODE_SYSTEMS[code_system][1]
    if follow_up:
        document[ext("followUp")] = follow_up
    if recorded_at is not None:
        document[ext("recordedAt")] = as2_datetime(recorded_at)
    return document


@dataclass(frozen=True)
class RemoteOutcome:
    outcome: rules.OutcomeInput
    recorded_at: datetime | None


def _text(data: dict[str, Any], term: str) -> str:
    value = ext_value(data, term)
    return value if isinstance(value, str) else ""


def outcome_from_document(note: dict[str, Any]) -> RemoteOutcome | None:
    """The outcome a received case carries; None when it has none or one we cannot accept
    (our own rules: lengths, certainty and method words, code shape)."""
    data = ext_value(note, "outcome")
    if not isinstance(data, dict):
        return None
    system = rules.system_of_iri(_text(data, "codeSystem"))
    outcome = rules.OutcomeInput(
        diagnosis=_text(data, "diagnosis"),
        certainty=_text(data, "certainty"),
        method=_text(data, "confirmedBy"),
        code=_text(data, "code") if system else "",
        code_system=system,
        follow_up=_text(data, "followUp"),
    ).normalized()
    if rules.check_outcome(outcome):
        return None
    return RemoteOutcome(outcome, parse_as2_datetime(_text(data, "recordedAt") or None))
