"""Access to the AppState of the running Quart application."""

from __future__ import annotations

from quart import current_app

from fediverse_cases.services.state import AppState

__all__ = ["AppState", "app_state"]


def app_state() -> AppState:
    return current_app.extensions["fediverse_cases"]
