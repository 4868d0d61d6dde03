"""`fediverse-cases dicom-listener`: Orthanc pushes a study by C-STORE as a configured modality
and a draft case appears for the clinician its AE title maps to; an unknown calling AE title is
rejected at association and leaves nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fediverse_cases.storage.models import Case, DicomSeries
from tests.dicom.conftest import assert_no_phi_in_header, dicom_of
from tests.support.dicom_studies import make_study
from tests.support.live import free_port
from tests.support.live_fixtures import live_instances  # noqa: F401
from tests.support.orthanc import AE_TITLE

pytestmark = pytest.mark.e2e


def _start_listener(config: Path, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fediverse_cases.cli", "dicom-listener", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "DICOM listener" in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the DICOM listener did not start:\n" + log.read_text(errors="replace"))


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    return process.wait(30)


async def _wait_for_case(ours, timeout: float = 120) -> Case | None:  # type: ignore[no-untyped-def]
    """The draft, once its series row (written last) is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with ours.state() as state, state.sessionmaker() as db:
            if await db.scalar(select(DicomSeries)) is not None:
                return await db.scalar(select(Case))
        await asyncio.sleep(0.5)
    return None


async def test_orthanc_c_store_to_the_listener_makes_a_draft_and_unknown_callers_are_refused(
    orthanc,  # type: ignore[no-untyped-def]
    live_instances,  # noqa: F811
) -> None:
    port = free_port()
    ours = await live_instances(
        "cstore-dest",
        settings={
            "dicom": {"listener_ae_title": "FEDICASES", "listener_port": port},
            "dicom.calling_ae_titles": {AE_TITLE: "dr_ada"},
        },
    )
    await ours.create_account("dr_ada")
    log = ours.root_dir / "listener.log"
    listener = _start_listener(ours.config_path, log)
    try:
        orthanc.clear()
        study = make_study(3)
        uploaded = [orthanc.upload(data) for data in study.instances]
        orthanc.set_modality("fedicases", "FEDICASES", port)

        refused = await asyncio.to_thread(
            orthanc.c_store, "fedicases", uploaded[0]["ParentStudy"], calling_ae="INTRUDER"
        )
        assert refused.status_code >= 400
        assert "DICOM association from unknown calling AE title 'INTRUDER' rejected" in log.read_text()
        async with ours.state() as state, state.sessionmaker() as db:
            assert (await db.scalar(select(Case))) is None

        sent = await asyncio.to_thread(orthanc.c_store, "fedicases", uploaded[0]["ParentStudy"])
        assert sent.status_code == 200, sent.text + log.read_text()
        case = await _wait_for_case(ours)
        assert case is not None, log.read_text()
        async with ours.state() as state, state.sessionmaker() as db:
            series = (await db.scalars(select(DicomSeries))).all()
            derivative = dicom_of(state.private_store.read(series[0].derivative_key))
        assert case.state == "draft" and len(series) == 1
        assert series[0].received_via == "c-store" and series[0].instance_count == 3
        assert_no_phi_in_header(derivative)
    finally:
        assert _stop(listener) == 0, log.read_text()


async def test_listener_inside_serve_receives_orthanc_c_store(orthanc, live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port = free_port()
    ours = await live_instances(
        "serve-listener",
        settings={
            "dicom": {"listener_ae_title": "FEDICASES", "listener_port": port, "listener_in_serve": True},
            "dicom.calling_ae_titles": {AE_TITLE: "dr_ada"},
        },
    )
    await ours.create_account("dr_ada")
    await ours.start()
    orthanc.clear()
    uploaded = [orthanc.upload(data) for data in make_study(2, size=256).instances]
    orthanc.set_modality("fedicases-serve", "FEDICASES", port)
    sent = await asyncio.to_thread(orthanc.c_store, "fedicases-serve", uploaded[0]["ParentStudy"])
    assert sent.status_code == 200, sent.text + ours.log_tail()
    case = await _wait_for_case(ours)
    assert case is not None and case.state == "draft", ours.log_tail()
    await ours.stop()
    assert "Traceback" not in ours.log_tail(200)
