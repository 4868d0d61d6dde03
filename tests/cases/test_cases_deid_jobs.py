"""De-identification jobs with real `fediverse-cases worker` processes on SQLite and PostgreSQL:
a worker killed with SIGKILL mid-job loses nothing (another worker takes the job over once the
lease runs out and finishes it, and no half-written media is left); a corrupt image's job fails
with the engine's reason; a worker keeps renewing the lease of a long job, so nobody takes it."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.compose import UploadedFile, add_images, start_draft
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import CaseImage, DeidJob
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from tests.cases.conftest import lesion_jpeg
from tests.support.instances import create_account

pytestmark = pytest.mark.e2e


def _config(state: Any, tmp_path: Path) -> Path:
    settings = state.settings
    config = tmp_path / "worker.toml"
    config.write_text(
        f'[instance]\nname = "Worker Hospital"\nbase_url = "{settings.instance.base_url}"\n'
        f'[database]\nurl = "{settings.database_url}"\n[session]\nsecret = "{"s" * 40}"\n'
        f'[media]\ndir = "{settings.media_dir}"\nprivate_dir = "{settings.private_dir}"\n'
    )
    return config


def _start_worker(config: Path, log: Path, lease_seconds: int = 2) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fediverse_cases.cli",
            "worker",
            "--config",
            str(config),
            "--lease-seconds",
            str(lease_seconds),
            "--poll-seconds",
            "0.2",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )


async def _until(check: Callable[[], Awaitable[Any]], timeout: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


async def _job(state: Any, job_id: int) -> DeidJob:
    async with state.sessionmaker() as db:
        job = await db.get(DeidJob, job_id)
    assert job is not None
    return job


async def _images(state: Any, case_id: int) -> list[CaseImage]:
    async with state.sessionmaker() as db:
        rows = await db.execute(select(CaseImage).where(CaseImage.case_id == case_id))
    return list(rows.scalars().all())


async def _queue(state: Any, files: list[UploadedFile]) -> tuple[int, list[int]]:
    account = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
    async with state.transaction() as db:
        case = await start_draft(db, state, await get_actor_for_account(db, account.id))
    outcomes = await add_images(state, case.id, files)
    return case.id, [outcome.job_id for outcome in outcomes if outcome.job_id is not None]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_worker_killed_mid_job_is_taken_over_with_no_half_written_media(state, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = lesion_jpeg((1600, 1200), text="MRN 55012345")
    case_id, (job_id,) = await _queue(state, [UploadedFile(photo, "lesion.jpg", "image/jpeg")])
    config = _config(state, tmp_path)

    async def running() -> DeidJob | None:
        job = await _job(state, job_id)
        claimed = job.locked_until is not None and job.locked_until > utcnow()
        return job if job.state == "pending" and claimed else None

    first_log = tmp_path / "first.log"
    first = _start_worker(config, first_log)
    try:
        await _until(running, 90, "the first worker to claim the job", first_log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed = await _job(state, job_id)
    assert killed.state == "pending" and killed.attempts == 1, (killed.state, killed.last_error)
    assert await _images(state, case_id) == []  # nothing was written for the killed attempt

    second_log = tmp_path / "second.log"
    second = _start_worker(config, second_log)
    try:

        async def settled() -> DeidJob | None:
            job = await _job(state, job_id)
            return job if job.state != "pending" else None

        done = await _until(settled, 120, "the second worker to finish the job", second_log)
    finally:
        _stop(second)
    assert done.state == "done" and done.attempts == 2, (done.state, done.last_error)
    (image,) = await _images(state, case_id)
    assert image.deid_report["decision"] == "accepted"
    # Exactly the accepted image's three variants are in the media folder, each a whole image.
    media_files = sorted(p for p in Path(state.settings.media_dir).rglob("*") if p.is_file())
    assert media_files == state.media_store.files(image.media_key) and len(media_files) == 3
    for path in media_files:
        with Image.open(path) as stored:
            stored.load()
    assert state.private_store.read(image.original_key) == photo  # kept for redaction re-runs


async def test_corrupt_image_job_fails_with_the_reason_and_keeps_nothing(state, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = lesion_jpeg()
    case_id, (job_id,) = await _queue(state, [UploadedFile(good[:300], "broken.jpg", "image/jpeg")])
    log = tmp_path / "worker.log"
    worker = _start_worker(config := _config(state, tmp_path), log)
    assert config.exists()
    try:

        async def settled() -> DeidJob | None:
            job = await _job(state, job_id)
            return job if job.state != "pending" else None

        failed = await _until(settled, 120, "the job to settle", log)
    finally:
        _stop(worker)
    assert failed.state == "failed" and "truncated or corrupt" in failed.last_error
    assert await _images(state, case_id) == []
    assert not [p for p in Path(state.settings.media_dir).rglob("*") if p.is_file()]
    assert not [p for p in Path(state.settings.private_dir).rglob("*") if p.is_file()]


async def test_a_live_worker_renews_its_lease_so_no_one_takes_its_job(state, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Three photos with a 1 s lease: every job is done exactly once (one attempt each)."""
    photos = [UploadedFile(lesion_jpeg((1200, 900)), f"p{i}.jpg", "image/jpeg") for i in range(3)]
    case_id, job_ids = await _queue(state, photos)
    config = _config(state, tmp_path)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [_start_worker(config, log, lease_seconds=1) for log in logs]
    try:

        async def all_done() -> list[DeidJob] | None:
            jobs = [await _job(state, job_id) for job_id in job_ids]
            return jobs if all(job.state != "pending" for job in jobs) else None

        jobs = await _until(all_done, 180, "both workers to finish the three jobs", logs[0])
    finally:
        for worker in workers:
            _stop(worker)
    assert [(job.state, job.attempts) for job in jobs] == [("done", 1)] * 3
    images = await _images(state, case_id)
    assert len(images) == 3 and len({image.media_key for image in images}) == 3
    media_files = [p for p in Path(state.settings.media_dir).rglob("*") if p.is_file()]
    assert len(media_files) == 9
    with Image.open(io.BytesIO(media_files[0].read_bytes())) as one:
        one.load()
