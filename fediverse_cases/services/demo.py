"""Seeding the demo hospital: the three demo accounts, then any further seeders (sample cases)."""

from __future__ import annotations

import importlib

from fediverse_cases.core.accounts import RegistrationForm, Role
from fediverse_cases.services.instance import ensure_account
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = (
    ("admin", Role.ADMIN, True, "Hospital administrator", "Administration"),
    ("reviewer", Role.REVIEWER, False, "Privacy officer", "Information governance"),
    ("clinician", Role.PROFESSIONAL, True, "Physician", "Dermatology"),
)
# Modules with ``async def seed(state)`` run after the accounts exist (idempotent each).
EXTRA_SEEDERS: tuple[str, ...] = ("fediverse_cases.services.demo_cases",)


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
    for module_name in EXTRA_SEEDERS:
        await importlib.import_module(module_name).seed(state)
