"""The engine's hand-over (issue 17) on the compose page, on SQLite and PostgreSQL: an image it
would cover too much of waits for the clinician's decision (nothing stored, submission refused),
its original is shown to its author only, the confirmed boxes run as a job, and the image then
carries a note the reviewer sees."""

from __future__ import annotations

import io
import json

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from fediverse_cases.storage.models import CaseImage, DeidJob
from tests.support.jobs import run_deid_jobs
from tests.support.web import csrf_token


def printed_form() -> bytes:
    """Lines of identifiers over most of the picture: covering them all is too much to do alone."""
    image = Image.new("RGB", (800, 600), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    lines = [
        "PATIENT NAME JOHN SMITH",
        "DOB 12 03 1961 WARD 7",
        "MRN 55012345 ROOM 14",
        "PHONE 0207 946 0123",
    ]
    lines += [
        "ADDRESS 12 HIGH STREET",
        "NEXT OF KIN MARY SMITH",
        "GP DR ADAMS SURGERY",
        "ALLERGIES PENICILLIN",
    ]
    for row, text in enumerate(lines):
        draw.text((30, 16 + row * 72), text, fill=(10, 10, 10), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def _jobs(state) -> list[DeidJob]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(DeidJob).order_by(DeidJob.id))).scalars().all())


async def _images(state) -> list[CaseImage]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(CaseImage))).scalars().all())


async def test_handover_waits_for_the_author_whose_confirmed_boxes_run_as_a_job_and_flag_the_review(
    login, people, state
) -> None:  # type: ignore[no-untyped-def]
    form = printed_form()
    clinician = await login("clinician")
    response = await clinician.upload([("form.png", form, "image/png")])
    assert response.status_code == 302
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    page_url = f"/compose/{public_id}"
    (job,) = await _jobs(state)
    assert job.state == "needs_review" and job.proposed is not None
    proposed = job.proposed["boxes"]
    assert len(proposed) >= 2 and job.proposed["coverage"] > job.proposed["threshold"]
    assert await _images(state) == []  # nothing painted, nothing stored for sharing

    page = await (await clinician.client.get(page_url)).get_data(as_text=True)
    assert "needs your decision" in page and f"Its {len(proposed)} proposed box(es)" in page
    progress = await (await clinician.client.get(f"{page_url}/jobs")).get_json()
    assert [(j["id"], j["state"]) for j in progress["jobs"]] == [(job.id, "needs_review")]
    refused = await clinician.save(public_id)
    assert refused.status_code == 422
    assert "waits for your decision" in await refused.get_data(as_text=True)

    # The un-redacted original: its author only, never cached.
    original_url = f"{page_url}/jobs/{job.id}/original"
    original = await clinician.client.get(original_url)
    assert original.status_code == 200 and await original.get_data() == form
    assert original.headers["Cache-Control"] == "private, no-store"
    colleague = await login("colleague")
    assert (await colleague.client.get(original_url)).status_code == 404
    assert (await colleague.client.get(f"{page_url}/jobs")).status_code == 404
    assert (await (await login("reviewer")).client.get(original_url)).status_code in (403, 404)
    assert (await (await login(None)).client.get(original_url)).status_code == 302

    confirm_url = f"{page_url}/jobs/{job.id}/confirm"
    bad = await clinician.client.post(
        confirm_url,
        form={"regions": '[{"x": 1}]', "csrf_token": await csrf_token(clinician.client, page_url)},
    )
    assert bad.status_code == 400
    foreign = await colleague.client.post(
        confirm_url, form={"regions": "[]", "csrf_token": await csrf_token(colleague.client, "/compose")}
    )
    assert foreign.status_code == 404

    kept = proposed[1:]  # the clinician turns one proposal down
    confirmed = await clinician.client.post(
        confirm_url,
        form={
            "regions": json.dumps(kept),
            "crop": "",
            "csrf_token": await csrf_token(clinician.client, page_url),
        },
    )
    assert confirmed.status_code == 302
    (job,) = await _jobs(state)
    assert job.state == "pending" and await _images(state) == []  # the decision runs as a job
    assert await run_deid_jobs(state) == 1
    (image,) = await _images(state)
    assert image.manual_regions == kept and image.deid_report["decision"] == "accepted"
    assert f"It proposed {len(proposed)} box(es); the author confirmed {len(kept)}" in image.review_note
    assert (await clinician.client.get(original_url)).status_code == 404  # decided: no longer shown
    again = await clinician.client.post(
        confirm_url, form={"regions": "[]", "csrf_token": await csrf_token(clinician.client, page_url)}
    )
    assert again.status_code == 404

    assert (await clinician.save(public_id)).status_code == 302
    reviewer = await login("reviewer")
    queue = await (await reviewer.client.get("/review")).get_data(as_text=True)
    assert queue.count("check images closely") == 1
    review = await (await reviewer.client.get(f"/review/{public_id}")).get_data(as_text=True)
    assert "Check this image closely" in review and "handed the decision to the author" in review
