"""Personal calibration on a seeded set, through the web app over a real database: a clinician
votes in four polls on the case pages; three of those cases have a confirmed outcome. Their own
calibration page shows 2 of 3 correct overall and the share per specialty; another clinician's
page shows nothing of it; anonymous visitors are sent to sign in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import CaseOutcome, Poll
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.web import csrf_token, sign_in

SEEDED = [
    # (specialty, options, multiple, confirmed diagnosis or None, lou's choices)
    ("dermatology", ["Tinea corporis", "Granuloma annulare"], False, "Granuloma annulare", ["1"]),
    ("dermatology", ["Psoriasis", "Nummular eczema"], False, " nummular  Eczema", ["0"]),
    ("radiology", ["Pneumonia", "Atelectasis", "Effusion"], True, "Atelectasis", ["0", "1"]),
    ("dermatology", ["Lichen planus", "Pityriasis rosea"], False, None, ["0"]),
]


async def _seed(state: Any) -> list[str]:
    author = await create_account(state, "dr_home", role=Role.PROFESSIONAL, verified=True)
    public_ids = []
    for specialty, options, multiple, diagnosis, _choices in SEEDED:
        case = await insert_case(state, author, tags=(specialty,), specialties=(specialty,))
        async with state.transaction() as db:
            db.add(Poll(case_id=case.id, options=options, multiple=multiple, duration_seconds=86400))
            if diagnosis is not None:
                db.add(
                    CaseOutcome(
                        case_id=case.id,
                        state="applied",
                        diagnosis=diagnosis,
                        certainty="certain",
                        method="histology",
                    )
                )
        public_ids.append(case.public_id)
    return public_ids


async def test_calibration_shows_own_share_correct_per_specialty(state, client) -> None:  # type: ignore[no-untyped-def]
    public_ids = await _seed(state)
    await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "mia", role=Role.PROFESSIONAL, verified=True)
    assert (await client.get("/settings/calibration")).status_code == 302

    await sign_in(client, "lou")
    for public_id, (*_rest, choices) in zip(public_ids, SEEDED, strict=True):
        token = await csrf_token(client, f"/cases/{public_id}")
        body = urlencode([*(("choice", c) for c in choices), ("csrf_token", token)])
        voted = await client.post(
            f"/cases/{public_id}/poll",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert voted.status_code == 302
    page = await (await client.get("/settings/calibration")).get_data(as_text=True)
    assert "Overall: <strong>2 of 3 correct (67%)</strong>" in page
    rows = dict(re.findall(r'data-specialty="(\w+)"><td>[^<]+</td><td>(\d+</td><td>\d+)</td>', page))
    assert rows == {"dermatology": "2</td><td>1", "radiology": "1</td><td>1"}
    assert "50%" in page and "100%" in page

    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/settings/profile")})
    await sign_in(client, "mia")
    page = await (await client.get("/settings/calibration")).get_data(as_text=True)
    assert 'id="calibration-empty"' in page and "Overall" not in page
    assert (await client.get("/review/calibration")).status_code == 403
    # Mia answers the first poll wrongly; a reviewer sees both pooled, and no names.
    token = await csrf_token(client, f"/cases/{public_ids[0]}")
    await client.post(f"/cases/{public_ids[0]}/poll", form={"choice": "0", "csrf_token": token})
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/settings/profile")})
    await create_account(state, "privacy", role=Role.REVIEWER)
    await sign_in(client, "privacy")
    page = await (await client.get("/review/calibration")).get_data(as_text=True)
    assert "Overall: <strong>2 of 4 correct (50%)</strong>" in page
    assert "lou" not in page.split("</header>", 1)[1] and "mia" not in page.split("</header>", 1)[1]
