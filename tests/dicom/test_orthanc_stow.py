"""Orthanc (a real PACS) sends a study with planted PHI to a served instance by STOW-RS, through
its DICOMweb peer configuration: the clinician's draft case appears with the series, and neither
the shared image nor the de-identified DICOM derivative holds a header value or burned-in text."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from fediverse_cases.storage.models import Case, CaseImage, DicomSeries
from tests.dicom.conftest import assert_no_phi_in_header, dicom_of, frame_images
from tests.support.dicom_studies import BURNED_TEXT, PHI_HEADER, make_study
from tests.support.instances import PASSWORD
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


def _sign_in(base_url: str, username: str) -> httpx.Client:
    browser = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)  # type: ignore[union-attr]
    signed_in = browser.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302, signed_in.text
    return browser


async def _served_with_token(live_instances, username: str = "dr_ada"):  # type: ignore[no-untyped-def]  # noqa: F811
    ours = await live_instances("pacs-dest")
    await ours.create_account(username)
    issued = ours.run_cli("tokens", "create", username, "--scopes", "write:media", "--name", "Orthanc")
    assert issued.returncode == 0, issued.stderr
    await ours.start()
    return ours, issued.stdout.strip()


async def test_orthanc_stow_rs_makes_a_draft_case_with_nothing_identifying_shared(
    orthanc,  # type: ignore[no-untyped-def]
    live_instances,  # noqa: F811
    read_text,
) -> None:
    ours, token = await _served_with_token(live_instances)
    orthanc.clear()
    study = make_study(4)
    uploaded = [orthanc.upload(data) for data in study.instances]
    orthanc.set_dicomweb_peer("fedicases", f"{ours.url}/dicom-web/", token)

    sent = await asyncio.to_thread(orthanc.stow, "fedicases", uploaded[0]["ParentStudy"])
    assert sent.status_code == 200, sent.text + ours.log_tail()

    async with ours.state() as state, state.sessionmaker() as db:
        case = await db.scalar(select(Case))
        images = (await db.scalars(select(CaseImage))).all()
        series = (await db.scalars(select(DicomSeries))).all()
        derivative_data = state.private_store.read(series[0].derivative_key) if series else None
    assert case is not None and case.state == "draft"
    assert len(images) == 1 and len(series) == 1 and series[0].instance_count == 4
    assert series[0].received_via == "stow-rs"

    derivative = dicom_of(derivative_data)
    assert_no_phi_in_header(derivative)
    assert derivative.PatientIdentityRemoved == "YES"
    for frame in frame_images(derivative):
        read = " ".join(read_text(frame)).upper()
        assert not any(word in read for word in BURNED_TEXT.split()), read

    # What is shared: every image file in the public media folder, read back and OCR'd.
    shared = [path for path in Path(ours.root_dir / "media").rglob("*") if path.is_file()]
    assert shared
    for path in shared:
        data = path.read_bytes()
        for value in PHI_HEADER.values():
            assert value.encode() not in data
        if path.suffix in (".png", ".jpg", ".jpeg", ".webp"):
            read = " ".join(read_text(Image.open(path))).upper()
            assert not any(word in read for word in BURNED_TEXT.split()), (path.name, read)

    # The clinician finds the draft in the composer, with the de-identification in plain words.
    browser = _sign_in(ours.url, "dr_ada")
    try:
        page = browser.get(f"/compose/{case.public_id}")
    finally:
        browser.close()
    assert page.status_code == 200 and "Patient Identity Removed: YES" in page.text
    # Anyone else: not found.
    assert httpx.get(f"{ours.url}/cases/{case.public_id}", timeout=30).status_code == 404


async def test_orthanc_stow_rs_with_an_unknown_token_stores_nothing(orthanc, live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ours, _token = await _served_with_token(live_instances)
    orthanc.clear()
    uploaded = orthanc.upload(make_study(1).instances[0])
    orthanc.set_dicomweb_peer("fedicases-bad", f"{ours.url}/dicom-web/", "a-token-nobody-issued")

    sent = await asyncio.to_thread(orthanc.stow, "fedicases-bad", uploaded["ParentStudy"])
    assert sent.status_code >= 400  # Orthanc reports its peer's refusal as its own error
    assert "received HTTP status 401 (Unauthorized)" in orthanc.log_tail(200)
    assert '"POST /dicom-web/studies" 401' in ours.log_tail()
    async with ours.state() as state, state.sessionmaker() as db:
        assert (await db.scalar(select(Case))) is None
    assert not [p for p in Path(ours.root_dir / "private").rglob("*") if p.is_file()]
