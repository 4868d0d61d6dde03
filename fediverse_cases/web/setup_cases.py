"""Wires the case pipeline into the app: the de-identifier and media stores on ``state.extras``
(built lazily: the engine loads its models on first use, so start-up stays fast), the upload size
guard that runs before anything reads a request body, and the unread-notification count.
"""

from __future__ import annotations

from quart import Quart, g

from fediverse_cases.services.cases import deidentifier, media_store, private_store
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories.cases import count_unread_notifications
from fediverse_cases.web.blueprints.compose import upload_size_guard


def setup(app: Quart, state: AppState) -> None:
    deidentifier(state)  # cheap: the engine's models load on the first image
    media_store(state)
    private_store(state)
    # First in line, before the CSRF check parses a form: an oversized upload is refused from its
    # Content-Length, and the body limit makes Quart count bytes as they stream in.
    app.before_request_funcs.setdefault(None, []).insert(0, upload_size_guard)

    @app.context_processor
    async def notification_count() -> dict[str, object]:
        account = g.get("account")
        if account is None:
            return {"notification_count": 0}
        async with state.sessionmaker() as db:
            return {"notification_count": await count_unread_notifications(db, account.id)}
