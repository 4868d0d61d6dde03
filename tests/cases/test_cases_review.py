"""Review, publication, withdrawal and media serving over the real database."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from fediverse_cases.storage.models import (
    AuditEvent,
    Case,
    CaseImage,
    CaseTag,
    Comment,
    Notification,
    ReviewDecision,
)
from tests.support.jobs import run_deid_jobs

CONSENT_MARKER = b"CONSENT-SCAN-MARKER-93817"


def _files(root) -> list:  # type: ignore[no-untyped-def]
    return [p for p in root.rglob("*") if p.is_file()]


async def _case(state) -> Case:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case))).scalar_one()


async def _images(state) -> list[CaseImage]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(CaseImage))).scalars())


async def _media_urls(state) -> list[str]:  # type: ignore[no-untyped-def]
    urls = []
    for image in await _images(state):
        ext = ".jpg" if image.media_type == "image/jpeg" else ".png"
        urls += [f"/media/{image.media_key}-{variant}{ext}" for variant in ("full", "display", "thumb")]
    return urls


async def _audit(state, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def test_review_queue_is_for_reviewers_only(login, submitted) -> None:  # type: ignore[no-untyped-def]
    _, public_id = await submitted()
    for username in ("viewer", "colleague", "clinician"):
        person = await login(username)
        assert (await person.client.get("/review")).status_code == 403
        assert (await person.client.get(f"/review/{public_id}")).status_code == 403
    reviewer = await login("reviewer")
    queue = await (await reviewer.client.get("/review")).get_data(as_text=True)
    assert public_id in queue
    page = await (await reviewer.client.get(f"/review/{public_id}")).get_data(as_text=True)
    assert "Dr Consenting Clinician" in page and "Signed consent form" in page
    assert "De-identification report" in page and "-display." in page


async def test_approval_publishes_notifies_and_deletes_originals(
    login, submitted, state, remote_follower
) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    assert len(_files(state.settings.private_dir)) == 1
    reviewer = await login("reviewer")
    response = await reviewer.decide(public_id, "approve")
    assert response.status_code == 302
    case = await _case(state)
    assert case.state == "published" and case.published_at is not None
    assert _files(state.settings.private_dir) == []  # the original is gone at publication
    assert all(image.original_key == "" for image in await _images(state))
    assert await remote_follower.activities(case.ap_id) == ["Create"]  # sent to the follower
    events = await _audit(state, "case.approve")
    assert len(events) == 1 and events[0].case_id == case.id and events[0].actor_label == "reviewer"
    header = await (await clinician.client.get("/compose")).get_data(as_text=True)
    assert '<span class="count">1</span>' in header
    page = await (await clinician.client.get("/notifications")).get_data(as_text=True)
    assert "Your case “" in page and "” was approved and published." in page  # the case is named
    anonymous = await login(None)
    assert (await anonymous.client.get(f"/cases/{public_id}")).status_code == 200


async def test_reject_needs_a_reason_and_tells_the_author(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    reviewer = await login("reviewer")
    response = await reviewer.decide(public_id, "reject", "")
    assert response.status_code == 422
    assert (await _case(state)).state == "pending"
    response = await reviewer.decide(public_id, "reject", "The tattoo on the wrist is identifying.")
    assert response.status_code == 302
    case = await _case(state)
    assert case.state == "rejected" and _files(state.settings.private_dir) == []
    page = await (await clinician.client.get("/notifications")).get_data(as_text=True)
    assert "The tattoo on the wrist is identifying." in page
    async with state.sessionmaker() as db:
        decision = (await db.execute(select(ReviewDecision))).scalar_one()
    assert decision.decision == "reject" and decision.note.startswith("The tattoo")
    assert [e.case_id for e in await _audit(state, "case.reject")] == [case.id]


async def test_changes_requested_lets_author_edit_and_resubmit(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "changes", "Please crop the watch out.")).status_code == 302
    assert (await _case(state)).state == "changes_requested"
    page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert "Please crop the watch out." in page and 'id="submit-case"' in page
    assert len(_files(state.settings.private_dir)) == 1  # kept: the author may redact again
    assert (await clinician.save(public_id, caption="Cropped as asked. Pigmented lesion.")).status_code == 302
    assert (await _case(state)).state == "pending"
    async with state.sessionmaker() as db:
        kinds = list((await db.execute(select(Notification.kind))).scalars())
    assert kinds == ["case_changes_requested"]


async def test_redaction_rerun_uses_the_original_with_drawn_boxes(login, submitted, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    (image,) = await _images(state)
    old_key = image.media_key
    token_page = f"/compose/{public_id}"
    from tests.support.web import csrf_token

    response = await clinician.client.post(
        f"/compose/{public_id}/images/{image.id}/redact",
        form={
            "regions": '[{"x": 100, "y": 60, "w": 80, "h": 60}]',
            "crop": '{"x": 20, "y": 10, "w": 280, "h": 220}',
            "csrf_token": await csrf_token(clinician.client, token_page),
        },
    )
    assert response.status_code == 302
    # Answered at once: the re-run is a job, and the image is replaced only when it is done.
    (image,) = await _images(state)
    assert image.media_key == old_key
    page = await (await clinician.client.get(token_page)).get_data(as_text=True)
    assert "Redaction of an image" in page and "Waiting for a de-identification worker" in page
    assert await run_deid_jobs(state) == 1
    (image,) = await _images(state)
    assert image.media_key != old_key and image.manual_regions == [{"x": 100, "y": 60, "w": 80, "h": 60}]
    assert (image.width, image.height) == (280, 220)
    data = await (
        await clinician.client.get(
            f"/media/{image.media_key}-full{'.jpg' if image.media_type == 'image/jpeg' else '.png'}"
        )
    ).get_data()
    pixels = Image.open(io.BytesIO(data)).convert("RGB")
    # the box (100,60)-(180,120) in original pixels is (80,50)-(160,110) after the crop: painted solid
    assert len({pixels.getpixel((x, y)) for x in range(85, 155, 7) for y in range(55, 105, 7)}) <= 2
    assert not any(p.name.startswith(old_key) for p in _files(state.settings.media_dir))
    bad = await clinician.client.post(
        f"/compose/{public_id}/images/{image.id}/redact",
        form={
            "regions": '[{"x": "a"}]',
            "crop": "",
            "csrf_token": await csrf_token(clinician.client, token_page),
        },
    )
    assert bad.status_code == 400


async def test_consent_never_public_and_scan_only_for_author_and_reviewers(
    login, people, state, jpeg, encode_multipart
) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    page = f"/compose/{public_id}"
    from datetime import date

    from tests.support.web import csrf_token

    html = await (await clinician.client.get(page)).get_data(as_text=True)
    import re

    fields = {name: "Dark lesion" for name in re.findall(r'name="(alt_\d+)"', html)}
    fields.update(
        caption="Lesion, 6 mm.",
        visibility="public",
        consent_audience="public",
        consent_method="signed_form",
        consent_date=date.today().isoformat(),
        consent_obtained_by="Nurse Witnessing Obtainer",
        action="submit",
        csrf_token=await csrf_token(clinician.client, page),
    )
    scan = b"%PDF-1.4\n" + CONSENT_MARKER + b"\n%%EOF"
    body, kind = encode_multipart(fields, [("consent_form", "consent.pdf", scan, "application/pdf")])
    response = await clinician.client.post(
        page, data=body, headers={"Content-Type": kind, "Content-Length": str(len(body))}
    )
    assert response.status_code == 302, await response.get_data(as_text=True)
    reviewer = await login("reviewer")
    assert await (await reviewer.client.get(f"/compose/{public_id}/consent-form")).get_data() == scan
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    for username in (None, "viewer", "colleague"):
        person = await login(username)
        assert (await person.client.get(f"/compose/{public_id}/consent-form")).status_code in (302, 404)
        case_page = await (await person.client.get(f"/cases/{public_id}")).get_data(as_text=True)
        assert "Lesion, 6 mm." in case_page and "Nurse Witnessing Obtainer" not in case_page
        assert "Signed consent form" not in case_page
    assert not any(CONSENT_MARKER in p.read_bytes() for p in _files(state.settings.media_dir))
    assert any(CONSENT_MARKER in p.read_bytes() for p in _files(state.settings.private_dir))


async def test_withdrawal_purges_everything_and_leaves_a_tombstone(
    login, submitted, state, remote_follower
) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    colleague = await login("colleague")
    from tests.support.web import csrf_token

    response = await colleague.client.post(
        f"/cases/{public_id}/comments",
        form={
            "content": "Dermoscopy would help.",
            "csrf_token": await csrf_token(colleague.client, f"/cases/{public_id}"),
        },
    )
    assert response.status_code in (302, 303)
    media_urls = await _media_urls(state)
    anonymous = await login(None)
    assert [(await anonymous.client.get(url)).status_code for url in media_urls] == [200] * 3
    # someone else cannot withdraw
    token = await csrf_token(colleague.client, "/")
    assert (
        await colleague.client.post(
            f"/cases/{public_id}/withdraw", form={"confirm": "withdraw", "csrf_token": token}
        )
    ).status_code == 404
    # the author must confirm
    token = await csrf_token(clinician.client, f"/cases/{public_id}/withdraw")
    assert (
        await clinician.client.post(f"/cases/{public_id}/withdraw", form={"csrf_token": token})
    ).status_code == 422
    assert (await _case(state)).state == "published"
    response = await clinician.client.post(
        f"/cases/{public_id}/withdraw", form={"confirm": "withdraw", "csrf_token": token}
    )
    assert response.status_code == 302
    case = await _case(state)
    assert case.state == "withdrawn" and case.caption == "" and case.withdrawn_at is not None
    async with state.sessionmaker() as db:
        for model in (CaseImage, CaseTag, Comment):
            assert (await db.execute(select(func.count()).select_from(model))).scalar_one() == 0
    assert _files(state.settings.media_dir) == []
    assert [(await anonymous.client.get(url)).status_code for url in media_urls] == [404] * 3
    assert (await remote_follower.activities(case.ap_id))[-1] == "Delete"  # the follower is told
    assert [e.case_id for e in await _audit(state, "case.withdraw")] == [case.id]
    tombstone = await anonymous.client.get(f"/cases/{public_id}")
    assert tombstone.status_code == 410
    assert "withdrawn at the patient" in await tombstone.get_data(as_text=True)


async def test_media_headers_and_visibility_rules(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    urls = await _media_urls(state)
    author_view = await clinician.client.get(urls[1])
    assert author_view.status_code == 200 and author_view.headers["Cache-Control"] == "private, no-store"
    events = await _audit(state, "media.view_unpublished")
    assert events and events[0].case_id == (await _case(state)).id and events[0].actor_label == "clinician"
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    anonymous = await login(None)
    for url in urls:
        response = await anonymous.client.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Type"] in ("image/jpeg", "image/png")
        assert response.headers["Cache-Control"].startswith("public")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Set-Cookie" not in response.headers
    assert (await anonymous.client.get(urls[0].replace("-full", "-huge"))).status_code == 404
    assert (await anonymous.client.get("/media/" + "0" * 32 + "-full.jpg")).status_code == 404


async def test_hospital_only_media_needs_a_signed_in_member(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    _, public_id = await submitted(visibility="local")
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    url = (await _media_urls(state))[1]
    assert (await (await login(None)).client.get(url)).status_code == 404
    member = await (await login("viewer")).client.get(url)
    assert member.status_code == 200 and member.headers["Cache-Control"] == "private, no-store"
