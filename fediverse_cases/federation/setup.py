"""Wiring the federation plumbing into the app: hooks, peers seeded from settings, workers.

Runs before the content layer's setup; installs ``FollowHooks`` only while ``state.hooks`` is
still the plain no-op ``FederationHooks`` (so a more specific implementation is never replaced).
Workers run in the serving lifespan when ``server.run_background_workers`` is on, and stop
cleanly on shutdown.
"""

from __future__ import annotations

from typing import Any

from fediverse_cases.federation.context import FederationState
from fediverse_cases.federation.hooks_follow import FollowHooks
from fediverse_cases.federation.peers import seed_from_settings
from fediverse_cases.federation.transport import close_transport
from fediverse_cases.federation.workers import Workers, wake_events


def _is_plain_hooks(hooks: Any) -> bool:
    kind = type(hooks)
    return kind.__name__ == "FederationHooks" and kind.__module__ == "fediverse_cases.services.hooks"


def setup(app: Any, state: FederationState) -> None:
    if _is_plain_hooks(state.hooks):
        state.hooks = FollowHooks(state)

    @app.before_serving
    async def start_federation() -> None:
        wake_events(state)
        await seed_from_settings(state)
        if state.settings.server.run_background_workers:
            workers = Workers(state)
            workers.start()
            state.extras["federation.workers"] = workers

    @app.after_serving
    async def stop_federation() -> None:
        workers = state.extras.pop("federation.workers", None)
        if workers is not None:
            await workers.stop()
        await close_transport(state)
