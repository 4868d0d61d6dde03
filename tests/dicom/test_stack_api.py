"""A published CT series through the client (Mastodon) API: its status lists the stack's key
frames as the Note sends them (evenly spaced, at most four, the default preset, "(image k of n)"
in the description), never every frame, in the status and in the timelines alike."""

from __future__ import annotations

from fediverse_cases.services.case_factory import publish_draft
from tests.dicom.stacks import stowed_stack
from tests.support.api_server import bearer, user_token


async def test_a_stack_status_lists_its_key_frames_not_every_frame(client, state) -> None:  # type: ignore[no-untyped-def]
    slices = 9
    stowed = await stowed_stack(client, state, slices)
    author, case, soft, every = stowed.author, stowed.case, stowed.soft_tissue, stowed.every
    assert len(every) == slices * 4
    await publish_draft(state, author, case.id, caption="Round lesion, axial CT.", alt_texts=["Axial CT"])

    api = await user_token(client, "dr_ada", "read")
    status = await (await client.get(f"/api/v1/statuses/{case.id * 2}", headers=bearer(api))).get_json()
    timeline = await (await client.get("/api/v1/timelines/public", headers=bearer(api))).get_json()
    [listed] = [s for s in timeline if s["id"] == status["id"]]
    for body in (status, listed):
        media = body["media_attachments"]
        assert [m["description"] for m in media] == [
            f"Axial CT (image {n} of {slices})" for n in (1, 4, 6, 9)
        ]
        assert [m["url"].rsplit("/", 1)[1].split("-")[0] for m in media] == [
            soft[i].media_key for i in (0, 3, 5, 8)
        ]
        assert all(m["type"] == "image" and m["meta"]["original"]["width"] == 256 for m in media)
    # Each listed file is served, as the case's own images are.
    for item in status["media_attachments"]:
        for url in (item["url"], item["preview_url"]):
            assert (await client.get("/" + url.split("://", 1)[1].split("/", 1)[1])).status_code == 200
