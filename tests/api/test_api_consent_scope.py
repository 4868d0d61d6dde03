"""POST /api/v1/statuses keeps the case inside the patient's consent: ``consent_audience``
(narrowest when absent) and a 422 when ``visibility`` is wider; absent visibility is the narrowest."""

from __future__ import annotations

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories.cases import get_consent
from tests.api.test_api_statuses import _upload
from tests.support.api_server import bearer, user_token
from tests.support.instances import create_account

CONSENT = {"consent_method": "signed_form", "consent_date": "2026-11-01", "consent_obtained_by": "Dr Ada"}


async def test_visibility_wider_than_consent_is_refused(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    media = await _upload(client, ada)

    async def post(**extra: str):  # type: ignore[no-untyped-def]
        form = {"status": "Plaque on the forearm", "media_ids[]": media["id"], **CONSENT, **extra}
        return await client.post("/api/v1/statuses", headers=bearer(ada), form=form)

    # No consent_audience: the narrowest, so a public post is refused and nothing is stored.
    refused = await post(visibility="public")
    assert refused.status_code == 422
    assert "wider than the patient's consent" in (await refused.get_json())["error"]
    wider = await post(visibility="public", consent_audience="followers")
    assert wider.status_code == 422
    bogus = await post(visibility="local", consent_audience="everyone")
    assert bogus.status_code == 422 and "consent_audience" in (await bogus.get_json())["error"]

    # No visibility at all: this hospital only, with the narrowest consent.
    narrow = await post()
    assert narrow.status_code == 200, await narrow.get_data(as_text=True)
    assert await _stored(state) == ("local", "local")

    media = await _upload(client, ada)
    peers = await client.post(
        "/api/v1/statuses",
        headers=bearer(ada),
        form={
            "status": "Second plaque",
            "media_ids[]": media["id"],
            **CONSENT,
            "visibility": "private",
            "consent_audience": "followers",
        },
    )
    assert peers.status_code == 200, await peers.get_data(as_text=True)
    assert await _stored(state) == ("followers", "followers")


async def _stored(state) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(case visibility, consent audience) of the newest case, as stored."""
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case).order_by(Case.id.desc()).limit(1))).scalar_one()
        consent = await get_consent(db, case.id)
    return case.visibility, consent.audience
