"""The audience a patient agreed to, and the rule that a case's visibility never exceeds it.
Stdlib only.

Audiences use the same three values as ``case_access.Visibility`` ("local" = this hospital only,
"followers" = followers and peer hospitals, "public") ordered from narrowest to widest, so a
consent for peers also covers "this hospital only" and a public consent covers everything.
"""

from __future__ import annotations

from fediverse_cases.core.case_access import Visibility

# Narrowest first: the index is the width.
AUDIENCE_ORDER: tuple[Visibility, ...] = (Visibility.LOCAL, Visibility.FOLLOWERS, Visibility.PUBLIC)
NARROWEST = AUDIENCE_ORDER[0]

# What the clinician picks on the compose page.
AUDIENCE_LABELS = {
    Visibility.LOCAL: "This hospital only",
    Visibility.FOLLOWERS: "This hospital and peer hospitals",
    Visibility.PUBLIC: "Anyone (public)",
}

# What the patient reads on the consent form and the withdrawal page.
AUDIENCE_PLAIN = {
    Visibility.LOCAL: "only doctors and staff of this hospital who have an account here",
    Visibility.FOLLOWERS: (
        "doctors and staff of this hospital, and of the other hospitals that this hospital "
        "shares cases with (each is named when they receive it)"
    ),
    Visibility.PUBLIC: "anyone on the internet, including other hospitals that this hospital shares cases with",
}


def is_audience(value: str) -> bool:
    return value in AUDIENCE_ORDER


def width(value: str) -> int:
    """0 for the narrowest audience; ValueError for an unknown one."""
    return AUDIENCE_ORDER.index(Visibility(value))


def within(visibility: str, audience: str) -> bool:
    """Whether a case with ``visibility`` stays inside what the patient agreed to."""
    return width(visibility) <= width(audience)


def widens(old: str, new: str) -> bool:
    return width(new) > width(old)
