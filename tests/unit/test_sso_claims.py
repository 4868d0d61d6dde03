"""From a provider's claims to the person: mapped fields, roles from groups, refusals."""

from __future__ import annotations

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.sso_claims import ClaimError, person_from_claims, username_candidates
from fediverse_cases.settings_sso import ClaimNames, OidcProviderSettings

PROVIDER = OidcProviderSettings(
    id="entra",
    label="Entra",
    issuer="https://login.test/t/v2.0",
    client_id="c",
    claims=ClaimNames(subject="oid", email="preferred_username", groups="roles", profession="jobTitle"),
    group_roles=(("Cases.Professional", "professional"), ("Cases.Admin", "admin")),
    default_role="",
)
CLAIMS = {
    "oid": "1b2c",
    "preferred_username": "A.Surgeon@Hospital.Test",
    "name": "A Surgeon",
    "jobTitle": "Surgeon",
}


def test_claims_map_to_fields_and_the_highest_role() -> None:
    person = person_from_claims(PROVIDER, {**CLAIMS, "roles": ["Cases.Professional", "Cases.Admin", "Other"]})
    assert (person.subject, person.email, person.display_name, person.profession) == (
        "1b2c",
        "a.surgeon@hospital.test",
        "A Surgeon",
        "Surgeon",
    )
    assert person.roles == {Role.PROFESSIONAL, Role.ADMIN} and person.top_role == Role.ADMIN
    assert person.professional_by_claim


def test_a_single_group_string_counts_as_a_list() -> None:
    assert person_from_claims(PROVIDER, {**CLAIMS, "roles": "Cases.Professional"}).roles == {
        Role.PROFESSIONAL
    }


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({**CLAIMS, "roles": ["Other"]}, "unmapped_user"),
        ({**CLAIMS, "roles": ["Cases.Admin"], "oid": ""}, "missing_subject"),
        ({**CLAIMS, "roles": ["Cases.Admin"], "preferred_username": "not-an-address"}, "missing_email"),
    ],
)
def test_unusable_claims_are_refused(claims: dict, reason: str) -> None:
    with pytest.raises(ClaimError) as refused:
        person_from_claims(PROVIDER, claims)
    assert refused.value.reason == reason


def test_username_candidates_are_valid_usernames() -> None:
    person = person_from_claims(PROVIDER, {**CLAIMS, "roles": ["Cases.Admin"]})
    assert username_candidates(person) == ["a_surgeon", "user"]
