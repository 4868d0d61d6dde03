"""Bringing an instance to life: migrate the database, create the instance actor and the first admin."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fediverse_cases.core.accounts import RegistrationForm, Role
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.actors import ensure_instance_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.push_subscriptions import ensure_vapid_key
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.migrate import upgrade_to_head
from fediverse_cases.storage.repositories.accounts import get_account_by_username


async def prepare_database(engine: AsyncEngine) -> None:
    await upgrade_to_head(engine)


async def initialize(state: AppState) -> None:
    """Idempotent: migrations to head and the instance actor with its keys, and the instance's
    VAPID key (Web Push)."""
    await prepare_database(state.engine)
    state.settings.media_dir.mkdir(parents=True, exist_ok=True)
    state.settings.private_dir.mkdir(parents=True, exist_ok=True)
    # The private area holds originals and consent forms: readable by the service user only.
    state.settings.private_dir.chmod(0o700)
    async with state.transaction() as db:
        await ensure_instance_actor(db, state.urls, state.settings.instance.name)
        await ensure_vapid_key(db)


async def ensure_account(
    state: AppState,
    form: RegistrationForm,
    *,
    role: Role,
    verified: bool,
    operator: Operator,
) -> bool:
    """Create the account unless the username exists; True when it was created."""
    async with state.transaction() as db:
        if await get_account_by_username(db, form.username) is not None:
            return False
        await account_service.register(
            db, state.urls, state.passwords, form, operator, role=role, verified=verified
        )
    return True
