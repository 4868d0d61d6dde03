"""Voting in a case's differential poll from the case page: POST /cases/<id>/poll (CSRF-checked
like every form). The rules are in ``services.polls``; the poll itself is drawn by the case page
(``cases/_poll.html``)."""

from __future__ import annotations

from quart import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from fediverse_cases.services import polls as poll_service
from fediverse_cases.services import social
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account, login_required
from fediverse_cases.web.state import app_state

blueprint = Blueprint("polls", __name__)

MAX_CHOICES = 8


@blueprint.post("/cases/<public_id>/poll")
@login_required
async def vote(public_id: str) -> Response:
    account = current_account()
    assert account is not None
    form = await request.form
    try:
        choices = [int(value) for value in form.getlist("choice")[:MAX_CHOICES]]
    except ValueError:
        abort(400, description="A choice is the number of an option.")
    state = app_state()
    target = url_for("cases.case_page", public_id=public_id) + "#poll"
    try:
        async with state.transaction() as db:
            actor = await get_actor_for_account(db, account.id)
            case = social.require_visible(
                social.viewer_for(account, actor), await case_repo.get_case_by_public_id(db, public_id)
            )
            if actor is None:
                abort(403)
            await poll_service.cast_vote(db, state, case, account, actor, choices)
    except social.SocialError as error:
        abort(error.status, description=error.message)
    except CaseError as error:
        await flash(error.message)
        return redirect(target)
    await flash("Vote counted. These are the results so far.")
    return redirect(target)
