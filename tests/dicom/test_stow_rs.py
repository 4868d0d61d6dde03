"""STOW-RS at POST /dicom-web/studies through the app over a real database: a study becomes a
draft case of the token's clinician with its originals and a PS3.15 derivative in the private
store; bad parts, truncated files, oversized studies and unknown tokens get precise errors and
leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fediverse_cases.core.accounts import Role
from fediverse_cases.dicom import store_result
from fediverse_cases.services.oauth import create_script_token
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Case, CaseImage, DicomSeries
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from tests.dicom.conftest import assert_no_phi_in_header, dicom_of, frame_images
from tests.support.dicom_studies import BURNED_TEXT, dicom_parts, make_multiframe, make_study, multipart
from tests.support.instances import create_account
from tests.support.jobs import run_deid_jobs
from tests.support.web import csrf_token, sign_in

FAILED, REFERENCED, REASON, SOP_INSTANCE = "00081198", "00081199", "00081197", "00081155"


@pytest.fixture
def settings_overrides() -> dict:
    return {"dicom": {"max_study_bytes": 4 * 1024 * 1024}}


async def modality_token(state, username: str = "dr_ada", scopes: str = "write:media") -> str:  # type: ignore[no-untyped-def]
    await create_account(state, username, role=Role.PROFESSIONAL, verified=True)
    async with state.transaction() as db:
        account = await get_account_by_username(db, username)
        issued = await create_script_token(db, account, scopes, Operator.shell(), label="CT scanner 3")
    return issued.access_token


async def stow(client, token: str, parts: list[tuple[str, bytes]], path: str = "/dicom-web/studies"):  # type: ignore[no-untyped-def]
    body, content_type = multipart(parts)
    return await client.post(
        path,
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": content_type,
            "Accept": "application/dicom+json",
        },
    )


def private_files(state) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(state.settings.private_dir)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def media_files(state) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(state.settings.media_dir)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def counts(state) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (
            await db.scalar(select(func.count()).select_from(Case)),
            await db.scalar(select(func.count()).select_from(CaseImage)),
            await db.scalar(select(func.count()).select_from(DicomSeries)),
        )


def reasons(body: dict) -> list[int]:
    return [item[REASON]["Value"][0] for item in body.get(FAILED, {}).get("Value", [])]


async def test_stow_study_becomes_a_hidden_draft_with_a_clean_derivative(client, state, read_text) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    study = make_study(3)
    original = dicom_of(study.instances[1])
    assert any(
        BURNED_TEXT.split()[0] in text for image in frame_images(original) for text in read_text(image)
    )

    response = await stow(client, token, dicom_parts(study.instances))
    await run_deid_jobs(state)  # the series' stack (tests/dicom/test_stack.py)
    body = await response.get_json()
    assert response.status_code == 200, body
    assert response.content_type.startswith("application/dicom+json")
    stored = [item[SOP_INSTANCE]["Value"][0] for item in body[REFERENCED]["Value"]]
    assert sorted(stored) == sorted(study.sop_instance_uids) and FAILED not in body
    public_id = response.headers["Location"].rsplit("/", 1)[1]

    async with state.sessionmaker() as db:
        case = await db.scalar(select(Case).where(Case.public_id == public_id))
        series = (await db.scalars(select(DicomSeries))).all()
        images = (await db.scalars(select(CaseImage))).all()
    assert case is not None and case.state == "draft" and case.visibility == "local"
    assert len(series) == 1 and len(images) == 1 and series[0].case_image_id == images[0].id
    assert series[0].instance_count == 3 and len(series[0].original_keys) == 3
    assert [state.private_store.read(key) for key in series[0].original_keys] == study.instances
    assert images[0].deid_report["dicom_deidentification"]["patient_identity_removed"] == "YES"

    derivative = dicom_of(state.private_store.read(series[0].derivative_key))
    assert_no_phi_in_header(derivative)
    assert derivative.PatientIdentityRemoved == "YES"
    codes = [item.CodeValue for item in derivative.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113101", "113107", "113108"]
    assert derivative.PatientAge == "060Y" and derivative.PatientSex == "F"
    assert derivative.StudyDate and derivative.StudyDate != "20240611"  # shifted, not kept
    assert derivative.SOPInstanceUID not in study.sop_instance_uids
    for image in frame_images(derivative):
        read = " ".join(read_text(image)).upper()
        assert not any(word in read for word in BURNED_TEXT.split()), read

    # Nobody but the author sees the draft; the author's and the reviewer's pages say what was done.
    assert (await client.get(f"/cases/{public_id}")).status_code == 404
    await sign_in(client, "dr_ada")
    page = await (await client.get(f"/compose/{public_id}")).get_data(as_text=True)
    await create_account(state, "rev", role=Role.REVIEWER, verified=True)
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/")})
    await sign_in(client, "rev")
    review = await (await client.get(f"/review/{public_id}")).get_data(as_text=True)
    for html in (page, review):
        assert "Patient Identity Removed: YES" in html
        assert "Text burned into the pixels was found and covered on every frame." in html
        assert "113107 “Retain Longitudinal Temporal Information Modified Dates Option”" in html
    # The composer shows the key image, the reviewer every frame of the series.
    assert "CT series of 3 images; the middle one is shown" in page
    assert "CT series of 3 images; every frame is in the stack viewer" in review


async def test_stow_bad_parts_fail_precisely_and_the_rest_is_stored(client, state) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    good = make_study(1).instances[0]
    truncated = make_study(1).instances[0][:-5000]
    response = await stow(
        client,
        token,
        [
            ("application/dicom", good),
            ("application/dicom", truncated),
            ("application/dicom", b"%PDF-1.4 not dicom"),
            ("text/plain", b"hello"),
        ],
    )
    body = await response.get_json()
    assert response.status_code == 202, body
    assert reasons(body) == [store_result.CANNOT_UNDERSTAND] * 3
    warnings = response.headers.get_all("Warning")
    assert any("truncated" in warning for warning in warnings)
    assert any("no DICM prefix" in warning for warning in warnings)
    assert any("text/plain" in warning for warning in warnings)
    assert len(body[REFERENCED]["Value"]) == 1
    assert await counts(state) == (1, 1, 1)


async def test_stow_with_nothing_storable_answers_409_and_writes_nothing(client, state) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    import pydicom

    report = dicom_of(make_study(1).instances[0])
    del report.PixelData
    import io

    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, report, enforce_file_format=True)
    response = await stow(
        client, token, [("application/dicom", buffer.getvalue()), ("application/dicom", b"\0" * 300)]
    )
    body = await response.get_json()
    assert response.status_code == 409, body
    assert reasons(body) == [store_result.SOP_CLASS_NOT_SUPPORTED, store_result.CANNOT_UNDERSTAND]
    assert await counts(state) == (0, 0, 0)
    assert private_files(state) == [] and media_files(state) == []


async def test_stow_refuses_unknown_token_oversized_study_and_wrong_type(client, state) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    study = make_study(1)

    unknown = await stow(client, "not-a-token-anyone-issued", dicom_parts(study.instances))
    assert unknown.status_code == 401
    assert "unknown" in (await unknown.get_json())["error"]
    assert unknown.headers["WWW-Authenticate"].startswith("Bearer")

    xml_only = await client.post(
        "/dicom-web/studies",
        data=multipart(dicom_parts(study.instances))[0],
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": multipart([])[1],
            "Accept": "application/dicom+xml",
        },
    )
    assert xml_only.status_code == 406

    reader = await modality_token(state, "dr_read", scopes="read")
    assert (await stow(client, reader, dicom_parts(study.instances))).status_code == 403

    oversized = await stow(client, token, dicom_parts(make_study(9).instances))  # ~4.8 MB > 4 MB
    assert oversized.status_code == 413
    assert "bytes this instance accepts" in (await oversized.get_json())["error"]

    body, _ = multipart(dicom_parts(study.instances))
    wrong = await client.post(
        "/dicom-web/studies",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": 'multipart/related; type="application/dicom+xml"; boundary=x',
        },
    )
    assert wrong.status_code == 415 and "application/dicom" in (await wrong.get_json())["error"]

    cut = await client.post(
        "/dicom-web/studies",
        data=body[: len(body) // 2],
        headers={"Authorization": f"Bearer {token}", "Content-Type": multipart([])[1]},
    )
    assert cut.status_code == 400 and "truncated" in (await cut.get_json())["error"]
    assert await counts(state) == (0, 0, 0)
    assert private_files(state) == [] and media_files(state) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_stow_multiframe_text_is_covered_on_every_frame(client, state, read_text) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    data = make_multiframe(3)
    original = frame_images(dicom_of(data))
    for image in (original[0], original[2]):  # the text sits elsewhere on the first and last frames
        assert any(BURNED_TEXT.split()[0] in text for text in read_text(image))

    response = await stow(client, token, [("application/dicom", data)])
    assert response.status_code == 200, await response.get_json()
    async with state.sessionmaker() as db:
        series = (await db.scalars(select(DicomSeries))).one()
    # Only the stack job searches every frame, so only it writes the PS3.15 copy.
    assert series.derivative_key == ""
    assert await run_deid_jobs(state) == 1
    async with state.sessionmaker() as db:
        series = (await db.scalars(select(DicomSeries))).one()
    derivative = dicom_of(state.private_store.read(series.derivative_key))
    assert int(derivative.NumberOfFrames) == 3
    for image in frame_images(derivative):
        read = " ".join(read_text(image)).upper()
        assert not any(word in read for word in BURNED_TEXT.split()), read


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_stow_to_a_named_study_fails_instances_of_other_studies(client, state) -> None:  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    named, other = make_study(1), make_study(1)
    response = await stow(
        client,
        token,
        dicom_parts([named.instances[0], other.instances[0]]),
        path=f"/dicom-web/studies/{named.study_uid}",
    )
    body = await response.get_json()
    assert response.status_code == 202, body
    assert reasons(body) == [store_result.DATASET_MISMATCH]
    assert body[FAILED]["Value"][0][SOP_INSTANCE]["Value"] == other.sop_instance_uids
    assert [item[SOP_INSTANCE]["Value"][0] for item in body[REFERENCED]["Value"]] == named.sop_instance_uids
    assert "not to" in response.headers["Warning"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_stow_study_with_two_series_gives_one_image_per_series(client, state) -> None:  # type: ignore[no-untyped-def]
    import io

    token = await modality_token(state)
    first = make_study(3, size=256, burned=False)
    second = []
    for data in make_study(2, size=256, burned=False).instances:  # same study, another series
        ds = dicom_of(data)
        ds.StudyInstanceUID = first.study_uid
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        second.append(buffer.getvalue())
    response = await stow(client, token, dicom_parts([*first.instances, *second]))
    assert response.status_code == 200, await response.get_json()
    async with state.sessionmaker() as db:
        series = (await db.scalars(select(DicomSeries).order_by(DicomSeries.id))).all()
        images = (await db.scalars(select(CaseImage).order_by(CaseImage.position))).all()
    assert [row.instance_count for row in series] == [3, 2]
    assert [row.case_image_id for row in series] == [image.id for image in images]
    assert len({row.case_id for row in series}) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_stow_series_whose_derivative_fails_is_refused_and_leaves_nothing(
    client, state, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.services import dicom_intake

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("injected fault")

    monkeypatch.setattr(dicom_intake, "_derivative", broken)
    token = await modality_token(state)
    response = await stow(client, token, dicom_parts(make_study(2, size=256, burned=False).instances))
    body = await response.get_json()
    assert response.status_code == 409, body
    assert reasons(body) == [store_result.PROCESSING_FAILURE] * 2
    assert "RuntimeError" in response.headers["Warning"]
    assert await counts(state) == (0, 0, 0)
    assert private_files(state) == [] and media_files(state) == []
