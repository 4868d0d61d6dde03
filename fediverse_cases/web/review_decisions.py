"""The shape every reviewer decision form shares (held comments, edits of published cases):
``decision`` is approve or reject (with a ``reason``), run in one transaction, a refusal for
the wrong person or object is 403/404, any other refusal is flashed, then back to the queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from quart import abort, flash, redirect
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.state import app_state


@dataclass(frozen=True)
class Decision:
    approve: Callable[[AsyncSession], Awaitable[object]]
    reject: Callable[[AsyncSession, str], Awaitable[object]]
    approved: str  # what the reviewer is told
    rejected: str


async def decide(decision: Decision, refusal: type[Exception], back_to: str) -> Response:
    values = await form_fields(("decision", "reason"))
    if values["decision"] not in ("approve", "reject"):
        abort(400, description="Choose approve or reject.")
    try:
        async with app_state().transaction() as db:
            if values["decision"] == "approve":
                await decision.approve(db)
            else:
                await decision.reject(db, values["reason"])
    except refusal as error:
        status, message = getattr(error, "status", 422), getattr(error, "message", str(error))
        if status in (403, 404):
            abort(status, description=message)
        await flash(message)
        return redirect(back_to)
    await flash(decision.approved if values["decision"] == "approve" else decision.rejected)
    return redirect(back_to)
