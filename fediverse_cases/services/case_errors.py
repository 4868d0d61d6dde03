"""What a refused case action tells the person: ``CaseError`` (message, per-field errors, PHI
findings, HTTP status) and which states a case may still be edited in."""

from __future__ import annotations

from dataclasses import dataclass, field

from fediverse_cases.deidentify import PhiFinding


@dataclass
class CaseError(Exception):
    """A case action refused; ``message`` is for the person, ``field_errors`` per form field."""

    message: str
    field_errors: dict[str, str] = field(default_factory=dict)
    phi: dict[str, list[PhiFinding]] = field(default_factory=dict)
    status: int = 422

    def __str__(self) -> str:
        return self.message


EDITABLE_STATES = frozenset({"draft", "changes_requested"})
