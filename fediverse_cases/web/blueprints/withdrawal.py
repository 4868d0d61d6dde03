"""The public withdrawal page (/withdraw): a patient, or someone for them, enters the code from
their consent form (and the configured check), sees in plain language where the case went,
withdraws with one button, and can come back to watch each peer's erasure receipt arrive.

No account: a correct code grants this browser session access to that one case for
``GRANT_SECONDS``. Pages are never cached and send no referrer.
"""

from __future__ import annotations

import time
from typing import Any

from quart import Blueprint, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from fediverse_cases.core import consent_scope
from fediverse_cases.core.case_access import Visibility
from fediverse_cases.services import withdrawal_page
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("withdrawal", __name__)

GRANT_KEY = "withdrawal_grant"
GRANT_SECONDS = 30 * 60
REFUSED = (
    "We could not find a case with that code and those details. Check the code on your form and "
    "try again, or ask the hospital for help."
)
TOO_MANY = "Too many tries. Please wait a quarter of an hour and try again, or ask the hospital for help."


def _private(body: Any, status: int = 200) -> Response:
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _granted_case() -> int | None:
    grant = session.get(GRANT_KEY)
    if not isinstance(grant, dict) or float(grant.get("until", 0)) < time.time():
        return None
    case_id = grant.get("case_id")
    return case_id if isinstance(case_id, int) else None


async def _form(message: str = "", status: int = 200) -> Response:
    html = await render_template(
        "withdrawal/enter.html",
        message=message,
        check=app_state().settings.withdrawal.check,
        has_grant=_granted_case() is not None,
    )
    return _private(html, status)


@blueprint.get("/withdraw")
async def enter() -> Response:
    return await _form()


@blueprint.post("/withdraw")
async def open_case() -> Response:
    form = await request.form
    state = app_state()
    who = withdrawal_page.operator(client_ip())
    async with state.transaction() as db:
        attempt = await withdrawal_page.open_case(
            db, state, str(form.get("code", ""))[:64], str(form.get("check", ""))[:32], who
        )
    if attempt.limited:
        return await _form(TOO_MANY, 429)
    if attempt.case_id is None:
        return await _form(REFUSED, 403)
    session[GRANT_KEY] = {"case_id": attempt.case_id, "until": time.time() + GRANT_SECONDS}
    return redirect(url_for("withdrawal.case_status"))  # type: ignore[return-value]


@blueprint.get("/withdraw/case")
async def case_status() -> Response:
    case_id = _granted_case()
    if case_id is None:
        return await _form()
    state = app_state()
    async with state.transaction() as db:
        found = await withdrawal_page.report(db, state, case_id, withdrawal_page.operator(client_ip()))
    if found is None:
        session.pop(GRANT_KEY, None)
        return await _form()
    html = await render_template(
        "withdrawal/case.html",
        report=found,
        audience_label=consent_scope.AUDIENCE_LABELS[Visibility(found.audience)],
        audience_plain=consent_scope.AUDIENCE_PLAIN[Visibility(found.audience)],
    )
    return _private(html)


@blueprint.post("/withdraw/case")
async def withdraw() -> Response:
    case_id = _granted_case()
    if case_id is None:
        return await _form()
    state = app_state()
    async with state.transaction() as db:
        done = await withdrawal_page.withdraw(db, state, case_id, withdrawal_page.operator(client_ip()))
    if done:
        await flash(
            "Your case has been withdrawn and deleted here. Every hospital that had it is being asked to delete it too."
        )
    return redirect(url_for("withdrawal.case_status"))  # type: ignore[return-value]


@blueprint.post("/withdraw/leave")
async def leave() -> Response:
    session.pop(GRANT_KEY, None)
    return redirect(url_for("withdrawal.enter"))  # type: ignore[return-value]
