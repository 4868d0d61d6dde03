"""The signed-in clinician's own calibration page (GET /settings/calibration): how their poll
answers compared with confirmed outcomes, overall and per specialty. Private: there is no way
to ask for anyone else's (``services.calibration``). Reviewers get the pooled numbers of
everyone here (GET /review/calibration), never one person's."""

from __future__ import annotations

from quart import Blueprint

from fediverse_cases.core.calibration import Calibration, Tally
from fediverse_cases.core.specialties import specialty_label
from fediverse_cases.services.calibration import calibration_of
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account, login_required, reviewer_required
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("calibration", __name__)


@blueprint.get("/settings/calibration")
@login_required
async def calibration_page() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        actor = await get_actor_for_account(db, account.id)
        calibration = (
            await calibration_of(db, actor.id) if actor is not None else Calibration(Tally(0, 0), {})
        )
    return await render_template(
        "settings_calibration.html", calibration=calibration, specialty_label=specialty_label, pooled=False
    )


@blueprint.get("/review/calibration")
@reviewer_required
async def pooled_page() -> str:
    async with app_state().sessionmaker() as db:
        calibration = await calibration_of(db, None)
    return await render_template(
        "settings_calibration.html", calibration=calibration, specialty_label=specialty_label, pooled=True
    )
