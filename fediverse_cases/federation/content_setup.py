"""Installs the content hooks (runs after the plumbing's ``federation.setup``).

Until the plumbing's follow hooks and outbox exist there is nothing to deliver with, so the
single-instance (no-op) hooks stay in place.
"""

from __future__ import annotations

import importlib.util
from typing import Any


def setup(app: Any, state: Any) -> None:
    required = ("fediverse_cases.federation.hooks_follow", "fediverse_cases.federation.outbox")
    if any(importlib.util.find_spec(name) is None for name in required):
        return
    from fediverse_cases.federation.hooks_content import ContentHooks

    state.hooks = ContentHooks(state)
