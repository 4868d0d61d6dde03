"""Building settings and app state for tests (fast password hashing, temporary media folders)."""

from __future__ import annotations

import secrets
from pathlib import Path

from argon2 import PasswordHasher

from fediverse_cases.core.accounts import RegistrationForm, Role
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.actors import ensure_instance_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import Settings, settings_from_mapping
from fediverse_cases.storage.models import Account

PASSWORD = "correct horse battery"


def make_settings(
    database_url: str, root: Path, base_url: str = "http://cases.test", **sections: dict
) -> Settings:
    raw: dict = {
        "instance": {"name": "Test General Hospital", "base_url": base_url},
        "database": {"url": database_url},
        "media": {"dir": str(root / "media"), "private_dir": str(root / "private")},
        "session": {"secret": secrets.token_urlsafe(40)},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return settings_from_mapping(raw, config_path=root / "instance.toml")


def fast_passwords() -> Passwords:
    # Still argon2id, with cheap parameters so a test can create many accounts quickly.
    return Passwords(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def make_state(settings: Settings) -> AppState:
    state = AppState.from_settings(settings)
    state.passwords = fast_passwords()
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    settings.private_dir.mkdir(parents=True, exist_ok=True)
    async with state.transaction() as db:
        await ensure_instance_actor(db, state.urls, settings.instance.name)
    return state


async def create_account(
    state: AppState,
    username: str,
    *,
    role: Role = Role.VIEWER,
    verified: bool = False,
    occupation: str = "",
    password: str = PASSWORD,
) -> Account:
    async with state.transaction() as db:
        return await account_service.register(
            db,
            state.urls,
            state.passwords,
            RegistrationForm(
                username=username,
                email=f"{username}@hospital.test",
                password=password,
                occupation=occupation or ("Physician" if verified else ""),
                licence_number="LIC-1" if verified else "",
                institution="Test General" if verified else "",
            ),
            Operator(None, "test-setup"),
            role=role,
            verified=verified,
        )
