"""Seeding the demo hospital: the three demo accounts, then any further seeders (sample cases)."""

from __future__ import annotations

from fediverse_cases.core.accounts import RegistrationForm, Role
from fediverse_cases.demo import cases as demo_cases
from fediverse_cases.services.instance import ensure_account
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = (
    ("admin", Role.ADMIN, True, "Hospital administrator", "Administration"),
    ("reviewer", Role.REVIEWER, False, "Privacy officer", "Information governance"),
    ("clinician", Role.PROFESSIONAL, True, "Physician", "Dermatology"),
)


async def seed_demo(state: AppState) -> None:
    operator = Operator(None, "demo-seed")
    for username, role, verified, occupation, specialty in DEMO_ACCOUNTS:
        await ensure_account(
            state,
            RegistrationForm(
                username=username,
                email=f"{username}@demo.invalid",
                password=DEMO_PASSWORD,
                display_name=f"Demo {username}",
                occupation=occupation,
                specialty=specialty,
                licence_number="DEMO-0000",
                institution=state.settings.instance.name,
            ),
            role=role,
            verified=verified,
            operator=operator,
        )
    await demo_cases.seed(state)
