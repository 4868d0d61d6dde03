"""A CT series sent by STOW-RS is answered as soon as its key image is de-identified (the draft
says its stack is being prepared); the queued stack job then gives it a stack of every frame, in
InstanceNumber order, at every window preset: nothing identifying in any shared frame (OCR read-back) nor in any
instance's PS3.15 copy (pydicom read-back). Once published, its Note carries evenly spaced key
frames and a Link to the whole stack, which peers fetch as an OrderedCollection."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.case_factory import publish_draft
from fediverse_cases.storage.models import Case, CaseImage, DeidJob, DicomSeries, DicomStackImage
from tests.dicom.conftest import assert_no_phi_in_header, dicom_of, frame_images
from tests.dicom.stacks import stowed_stack
from tests.dicom.test_stow_rs import media_files, modality_token, stow
from tests.support.dicom_studies import BURNED_TEXT, PHI_HEADER, dicom_parts, make_study
from tests.support.instances import create_account
from tests.support.jobs import run_deid_jobs
from tests.support.web import csrf_token, sign_in

SLICES = 5
AS2 = {"Accept": "application/activity+json"}


def organ_row(data: bytes) -> float:
    """Row of the phantom's organ (300 HU, white in the soft-tissue window) in a shared frame:
    it moves down one pixel per slice, so it tells the frames' order."""
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L")).astype(np.int16)
    rows, _cols = np.nonzero(grey >= 250)
    return float(rows.mean())


async def test_a_ct_series_becomes_a_stack_of_every_frame_in_order_with_nothing_identifying(  # type: ignore[no-untyped-def]
    client, state, read_text
) -> None:
    token = await modality_token(state)
    study = make_study(SLICES)
    shuffled = list(study.instances)
    random.Random(7).shuffle(shuffled)  # arrival order is not stack order
    response = await stow(client, token, dicom_parts(shuffled))
    assert response.status_code == 200, await response.get_data(as_text=True)
    public_id = response.headers["Location"].rsplit("/", 1)[1]

    # The PACS has its answer before the stack exists: the draft has its key image and a queued
    # stack job, and says so; nothing of the stack is stored yet.
    async with state.sessionmaker() as db:
        assert len((await db.scalars(select(CaseImage))).all()) == 1
        [job] = (await db.scalars(select(DeidJob).where(DeidJob.kind == "stack"))).all()
        assert (await db.scalars(select(DicomStackImage))).all() == []
        [pending] = (await db.scalars(select(DicomSeries))).all()
    assert (job.kind, job.state) == ("stack", "pending")
    assert pending.stack_frames == 0 and pending.derivative_keys == []
    await sign_in(client, "dr_ada")
    draft = await (await client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert f"Stack being prepared: {SLICES} frames" in draft
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/")})

    assert await run_deid_jobs(state) == 1
    async with state.sessionmaker() as db:
        case = await db.scalar(select(Case).where(Case.public_id == public_id))
        [series] = (await db.scalars(select(DicomSeries))).all()
        assert (await db.get(DeidJob, job.id)).state == "done"  # type: ignore[union-attr]
        frames = (
            await db.scalars(select(DicomStackImage).order_by(DicomStackImage.frame, DicomStackImage.id))
        ).all()
    assert case is not None and case.state == "draft"
    assert series.stack_frames == SLICES
    assert [p["key"] for p in series.stack_presets] == ["soft_tissue", "lung", "bone", "brain"]
    assert sorted({(f.frame, f.preset) for f in frames}) == sorted(
        (i, p) for i in range(SLICES) for p in ("soft_tissue", "lung", "bone", "brain")
    )

    # Every instance has its PS3.15 copy, in InstanceNumber order, with no header PHI and no text.
    copies = [dicom_of(state.private_store.read(key)) for key in series.derivative_keys]
    assert [int(ds.InstanceNumber) for ds in copies] == list(range(1, SLICES + 1))
    for ds in copies:
        assert_no_phi_in_header(ds)
        assert ds.PatientIdentityRemoved == "YES"
        for image in frame_images(ds):
            read = " ".join(read_text(image)).upper()
            assert not any(word in read for word in BURNED_TEXT.split()), read

    # The shared frames are in stack order (the organ moves down slice by slice)...
    soft = [f for f in frames if f.preset == "soft_tissue"]
    rows = [organ_row(state.media_store.read(_display(f))) for f in soft]
    assert rows == sorted(rows) and rows[-1] - rows[0] >= SLICES - 2, rows
    # ...and no shared file, at any preset, holds a header value or burned-in text.
    for f in frames:
        data = state.media_store.read(_display(f))
        read = " ".join(read_text(Image.open(io.BytesIO(data)))).upper()
        assert not any(word in read for word in BURNED_TEXT.split()), (f.frame, f.preset, read)
    for path in media_files(state):
        for value in PHI_HEADER.values():
            assert value.encode() not in path.read_bytes()

    # The author's case page and the reviewer's page show the stack viewer with every frame.
    await sign_in(client, "dr_ada")
    page = await (await client.get(f"/cases/{public_id}")).get_data(as_text=True)
    await create_account(state, "rev", role=Role.REVIEWER, verified=True)
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/")})
    await sign_in(client, "rev")
    review = await (await client.get(f"/review/{public_id}")).get_data(as_text=True)
    for html in (page, review):
        assert 'class="stack-viewer' in html and "stack-viewer.js" in html
        assert f"1 / {SLICES}" in html and "Lung (W1500 L−600)" in html
        assert all(f.media_key in html for f in frames)
    # A frame is served to the reviewer like any image of an unpublished case, to nobody else.
    frame_url = f"/media/{_display(soft[0]).key}-display{_display(soft[0]).extension}"
    assert (await client.get(frame_url)).status_code == 200
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/")})
    assert (await client.get(frame_url)).status_code == 404


async def test_a_published_series_federates_as_key_frames_and_a_link_to_the_whole_stack(  # type: ignore[no-untyped-def]
    client, state
) -> None:
    slices = 9
    stowed = await stowed_stack(client, state, slices)
    public_id, author, case, soft = stowed.public_id, stowed.author, stowed.case, stowed.soft_tissue
    await publish_draft(
        state, author, case.id, caption="Round lesion in the chest, axial CT.", alt_texts=["Axial CT"]
    )

    note = await (await client.get(f"/cases/{public_id}", headers=AS2)).get_json()
    images = [a for a in note["attachment"] if a["type"] == "Image"]
    links = [a for a in note["attachment"] if a["type"] == "Link"]
    # Four evenly spaced frames (first and last included), in order, then the Link.
    assert [a["name"] for a in images] == [f"Axial CT (image {n} of {slices})" for n in (1, 4, 6, 9)]
    assert [a["url"].rsplit("/", 1)[1].split("-")[0] for a in images] == [
        soft[i].media_key for i in (0, 3, 5, 8)
    ]
    assert note["attachment"][-1] == links[0] and len(links) == 1
    assert links[0]["mediaType"] == "application/activity+json"
    assert links[0]["href"].endswith(f"/cases/{public_id}/stacks/0")

    path = links[0]["href"].split("://", 1)[1].split("/", 1)[1]
    stack = await (await client.get(f"/{path}", headers=AS2)).get_json()
    assert stack["type"] == "OrderedCollection" and stack["totalItems"] == slices
    assert [p["key"] for p in stack["fediverseCases:windowPresets"]] == [
        "soft_tissue",
        "lung",
        "bone",
        "brain",
    ]
    items = stack["orderedItems"]
    assert [item["url"][0]["href"].rsplit("/", 1)[1].split("-")[0] for item in items] == [
        f.media_key for f in soft
    ]
    assert [link["fediverseCases:windowPreset"] for link in items[0]["url"]] == [
        "soft_tissue",
        "lung",
        "bone",
        "brain",
    ]
    # Every frame the collection names is served to anyone, as a published case's images are.
    for item in items:
        for link in item["url"]:
            media = link["href"].split("://", 1)[1].split("/", 1)[1]
            assert (await client.get(f"/{media}")).status_code == 200
    assert (await client.get(f"/cases/{public_id}/stacks/5", headers=AS2)).status_code == 404


def _display(row: DicomStackImage):  # type: ignore[no-untyped-def]
    from fediverse_cases.media.store import MediaName

    return MediaName(row.media_key, "display", ".png" if row.media_type == "image/png" else ".jpg")


async def test_a_series_whose_stack_cannot_be_made_keeps_only_its_key_image(client, state) -> None:  # type: ignore[no-untyped-def]
    """The stack job fails; the key image stays and the draft says why."""
    import pydicom

    token = await modality_token(state)
    study = make_study(3)
    scout = pydicom.dcmread(io.BytesIO(make_study(1, size=256).instances[0]))
    scout.StudyInstanceUID, scout.SeriesInstanceUID = (
        dicom_of(study.instances[0]).StudyInstanceUID,
        study.series_uid,
    )
    scout.InstanceNumber = 0  # a smaller localizer first: the frames are not one stack
    buffer = io.BytesIO()
    scout.save_as(buffer, enforce_file_format=True)
    response = await stow(client, token, dicom_parts([buffer.getvalue(), *study.instances]))
    assert response.status_code == 200, await response.get_data(as_text=True)
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    assert await run_deid_jobs(state) == 1
    async with state.sessionmaker() as db:
        [series] = (await db.scalars(select(DicomSeries))).all()
        assert (await db.scalars(select(DicomStackImage))).all() == []
        assert len((await db.scalars(select(CaseImage))).all()) == 1
        [job] = (await db.scalars(select(DeidJob).where(DeidJob.kind == "stack"))).all()
    assert job.state == "failed" and "the stack was refused" in job.last_error
    assert series.stack_frames == 0 and series.derivative_keys == [] and series.instance_count == 4
    assert (
        "256x256, not" in series.deidentification["series"]["stack_refused"]
        or "not 256x256" in (series.deidentification["series"]["stack_refused"])
    )
    await sign_in(client, "dr_ada")
    page = await (await client.get(f"/cases/{public_id}")).get_data(as_text=True)
    assert 'class="stack-viewer' not in page
    draft = await (await client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert "Only the middle image is shared: the stack was refused" in draft
    assert "Stack being prepared" not in draft
    # Only the key image's three files are shared.
    assert len(media_files(state)) == 3
