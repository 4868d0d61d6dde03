"""Two real hospitals over real HTTP: A receives a CT series from its PACS (STOW-RS), publishes it
as a case; B follows A's clinician, keeps the case with its key frames at once, then a worker on B
fetches the whole stack from A (the Note's Link, the OrderedCollection, every frame at every
window preset), de-identifies every frame itself and B's case page shows the stack viewer with
every frame in order. A withdraws the case: B deletes its copy, frames and their files included.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case, CaseImage, DeidJob, DicomSeries, DicomStackImage
from tests.e2e.test_e2e_content_three_instances import (
    follow,
    follow_accepted,
    in_transaction,
    poll,
    query,
    remote_case,
)
from tests.support.dicom_studies import dicom_parts, make_study, multipart
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

SLICES = 6
PRESETS = ("soft_tissue", "lung", "bone", "brain")


def organ_row(data: bytes) -> float:
    """Row of the phantom's organ (white in the soft-tissue window): one pixel lower per slice."""
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L")).astype(np.int16)
    rows, _cols = np.nonzero(grey >= 250)
    return float(rows.mean())


async def modality_token(instance: LiveInstance, username: str) -> str:
    from fediverse_cases.services.oauth import create_script_token
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    async def work(db: Any, _state: Any) -> str:
        account = await get_account_by_username(db, username)
        issued = await create_script_token(db, account, "write:media", Operator.shell(), label="CT 3")
        return issued.access_token

    return await in_transaction(instance, work)


async def job_state(instance: LiveInstance, kind: str) -> str:
    async def work(db: Any) -> str:
        jobs = (await db.scalars(select(DeidJob).where(DeidJob.kind == kind))).all()
        return jobs[-1].state if jobs and jobs[-1].state != "pending" else ""

    return await query(instance, work)


def media_files(instance: LiveInstance) -> list[Path]:
    root = instance.root_dir / "media"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_a_peer_fetches_the_whole_stack_and_deletes_it_on_withdrawal(live_instances) -> None:  # noqa: F811
    from fediverse_cases.services.case_factory import publish_draft
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    a = await live_instances("a")
    b = await live_instances("b", allow=[a.host])
    await a.allow_peer(b.host)
    await a.create_account("dr_ada", Role.PROFESSIONAL, verified=True)
    await b.create_account("dr_bo", Role.PROFESSIONAL, verified=True)
    await a.start()
    await b.start()
    await follow(b, "dr_bo", a, "dr_ada")
    await poll(lambda: follow_accepted(b, "dr_bo"), "B's follow accepted")

    # A's PACS sends a CT series; A's worker makes its stack.
    token = await modality_token(a, "dr_ada")
    body, content_type = multipart(dicom_parts(make_study(SLICES, size=256).instances))
    async with httpx.AsyncClient(timeout=120) as http:
        stored = await http.post(
            f"{a.url}/dicom-web/studies",
            content=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": content_type,
                "Accept": "application/dicom+json",
            },
        )
    assert stored.status_code == 200, stored.text
    public_id = stored.headers["Location"].rsplit("/", 1)[1]
    assert await poll(lambda: job_state(a, "stack"), "A's stack job", timeout=240) == "done"

    async with a.state() as state:
        async with state.sessionmaker() as db:
            author = await get_account_by_username(db, "dr_ada")
            case = await db.scalar(select(Case).where(Case.public_id == public_id))
            a_frames = (await db.scalars(select(DicomStackImage))).all()
        assert author is not None and case is not None
        await publish_draft(state, author, case.id, caption="Round lesion, axial CT.", alt_texts=["Axial CT"])
    assert len(a_frames) == SLICES * len(PRESETS)

    # B keeps the case with its four key frames at once; its worker then fetches the stack.
    copy = await poll(lambda: remote_case(b, case.ap_id), "the case on B", timeout=120)

    async def b_images(db: Any) -> list[CaseImage]:
        return list((await db.scalars(select(CaseImage).where(CaseImage.case_id == copy.id))).all())

    assert len(await query(b, b_images)) == 4
    assert await poll(lambda: job_state(b, "remote_stack"), "B's stack job", timeout=420) == "done"

    async def b_stack(db: Any) -> tuple[list[DicomSeries], list[DicomStackImage]]:
        series = list((await db.scalars(select(DicomSeries).where(DicomSeries.case_id == copy.id))).all())
        frames = (
            await db.scalars(
                select(DicomStackImage)
                .where(DicomStackImage.case_id == copy.id)
                .order_by(DicomStackImage.frame, DicomStackImage.id)
            )
        ).all()
        return series, list(frames)

    [series], frames = await query(b, b_stack)
    images = await query(b, b_images)
    assert series.received_via == "remote" and series.stack_frames == SLICES
    assert series.case_image_id == min(image.id for image in images)
    assert sorted({(f.frame, f.preset) for f in frames}) == sorted(
        (i, p) for i in range(SLICES) for p in PRESETS
    )
    # B's frames are its own files (re-encoded by B's de-identification), not A's.
    assert not {f.media_key for f in frames} & {f.media_key for f in a_frames}

    async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
        page = (await http.get(f"/cases/{copy.public_id}")).text
        soft = [f for f in frames if f.preset == "soft_tissue"]
        served = []
        for f in soft:
            response = await http.get(
                f"/media/{f.media_key}-display{'.png' if f.media_type == 'image/png' else '.jpg'}"
            )
            assert response.status_code == 200
            served.append(response.content)
    # The viewer shows every frame at every preset, in stack order, in place of the key frames.
    assert 'class="stack-viewer' in page and "stack-viewer.js" in page
    assert f"1 / {SLICES}" in page and "Lung (W1500 L−600)" in page
    assert all(f.media_key in page for f in frames)
    others = [image for image in images if image.id != series.case_image_id]
    assert not any(image.media_key in page for image in others)
    rows = [organ_row(data) for data in served]
    assert rows == sorted(rows) and rows[-1] - rows[0] >= SLICES - 2, rows
    frame_files = [path for f in frames for path in media_files(b) if path.name.startswith(f.media_key)]
    assert len(frame_files) == len(frames) * 3  # full, display, thumb

    # The client API on B lists the case's four key frames, not its stack.
    async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
        status = (await http.get(f"/api/v1/statuses/{copy.id * 2}")).json()
    assert sorted(m["url"].rsplit("/", 1)[1].split("-")[0] for m in status["media_attachments"]) == sorted(
        image.media_key for image in images
    )

    # The bounds hold against the live origin: a stack larger than the byte budget is refused.
    from fediverse_cases.federation import remote_stack

    async with b.state() as state:
        href = series.deidentification["remote_stack"]["href"]
        assert href == f"{a.url}/cases/{public_id}/stacks/0"
        stack = await remote_stack.fetch_stack(state, href, case.ap_id)
        assert len(stack.frames) == SLICES
        with pytest.raises(remote_stack.StackRefused, match="larger than"):
            await remote_stack.download_frames(state, stack, case.ap_id, max_bytes=20_000)

    # A withdraws: B's copy goes, its stack frames and their files with it.
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.withdraw import withdraw_consent
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    async def withdraw(db: Any, state: Any) -> None:
        await withdraw_consent(db, state, await get_case_by_ap_id(db, case.ap_id), Operator.system())

    await in_transaction(a, withdraw)

    async def gone() -> bool:
        return await remote_case(b, case.ap_id) is None

    await poll(gone, "the case purged from B", timeout=60)

    async def leftovers(db: Any) -> tuple[int, int]:
        return (
            len((await db.scalars(select(DicomStackImage))).all()),
            len((await db.scalars(select(DicomSeries))).all()),
        )

    assert await query(b, leftovers) == (0, 0)
    assert not [path for path in frame_files if path.exists()]
    assert media_files(b) == []
