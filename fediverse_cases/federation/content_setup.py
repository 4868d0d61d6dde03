"""Installs the content hooks (runs after the plumbing's ``federation.setup``): from then on
every case and comment change writes its outbox rows in the transaction that makes it."""

from __future__ import annotations

from typing import Any

from fediverse_cases.federation.hooks_content import ContentHooks


def setup(app: Any, state: Any) -> None:
    state.hooks = ContentHooks(state)
