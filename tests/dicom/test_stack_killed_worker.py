"""A worker killed in the middle of a stack leaves nothing behind once the job is retried.

A real `fediverse-cases serve` takes the series by STOW-RS (its own background workers off); a
real `fediverse-cases worker` process claims the stack job and is killed (SIGKILL) while it writes
the frames. Its half-done attempt left frame files. The next worker (`worker --once`, after the
dead worker's lease ran out) makes the stack again, and afterwards the media store holds exactly
the key image and the recorded frames, and the private store exactly the originals and the
recorded PS3.15 copies: no file of the killed attempt, no half-written temporary file.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import CaseImage, DeidJob, DicomSeries, DicomStackImage
from tests.support.dicom_studies import dicom_parts, make_study, multipart
from tests.support.live import LiveInstance, _clean_env
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

SLICES = 16


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


async def query(instance: LiveInstance, work: Any) -> Any:
    async with instance.state() as state, state.sessionmaker() as db:
        return await work(db)


async def test_a_stack_job_retried_after_its_worker_was_killed_leaves_no_files_of_the_dead_attempt(  # type: ignore[no-untyped-def]
    live_instances,  # noqa: F811
) -> None:
    from fediverse_cases.services.oauth import create_script_token
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    a = await live_instances(
        "a", settings={"server": {"run_background_workers": False, "run_deidentify_jobs": False}}
    )
    await a.create_account("dr_ada", Role.PROFESSIONAL, verified=True)
    async with a.state() as state, state.transaction() as db:
        account = await get_account_by_username(db, "dr_ada")
        token = (
            await create_script_token(db, account, "write:media", Operator.shell(), label="CT")
        ).access_token
    await a.start()
    body, content_type = multipart(dicom_parts(make_study(SLICES, size=256).instances))
    async with httpx.AsyncClient(timeout=120) as http:
        response = await http.post(
            f"{a.url}/dicom-web/studies",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        )
    assert response.status_code == 200, response.text
    media, private = a.root_dir / "media", a.root_dir / "private"
    before = files_under(media)
    assert len(before) == 3  # the key image: full, display, thumb

    # A worker claims the stack job (short lease) and is killed while it writes the frames.
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fediverse_cases.cli",
            "worker",
            "--config",
            str(a.config_path),
            "--lease-seconds",
            "3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_clean_env(),
    )
    try:
        deadline = time.monotonic() + 300
        while len(files_under(media)) < len(before) + 3 * 8:  # eight frame files of the stack
            assert worker.poll() is None, "the worker exited before it was killed"
            assert time.monotonic() < deadline, "the worker wrote no frames"
            await asyncio.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()

    async def job_and_rows(db: Any) -> tuple[DeidJob, int]:
        job = await db.scalar(select(DeidJob).where(DeidJob.kind == "stack"))
        return job, len((await db.scalars(select(DicomStackImage))).all())

    job, rows = await query(a, job_and_rows)
    orphans = files_under(media) - before
    assert job.state == "pending" and rows == 0 and orphans, "the kill did not land mid-stack"
    assert job.output_key  # the dead attempt's seed, recorded before it wrote anything

    await asyncio.sleep(3.5)  # the dead worker's lease runs out
    done = await asyncio.to_thread(a.run_cli, "worker", "--once", "--lease-seconds", "60", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    async def outcome(db: Any) -> tuple[DeidJob, DicomSeries, list[DicomStackImage], list[CaseImage]]:
        return (
            await db.scalar(select(DeidJob).where(DeidJob.kind == "stack")),
            await db.scalar(select(DicomSeries)),
            list((await db.scalars(select(DicomStackImage))).all()),
            list((await db.scalars(select(CaseImage))).all()),
        )

    job, series, frames, images = await query(a, outcome)
    assert job.state == "done" and job.attempts == 2, (job.state, job.last_error)
    assert len(frames) == SLICES * 4
    expected_media = {
        path
        for key in [*(f.media_key for f in frames), *(i.media_key for i in images)]
        for path in media.rglob(f"{key}-*")
    }
    assert files_under(media) == expected_media
    assert len(expected_media) == 3 * (len(frames) + len(images))
    assert not orphans & files_under(media)
    expected_private = {
        private / key[:2] / key
        for key in [
            *series.original_keys,
            *series.derivative_keys,
            series.derivative_key,
            *(i.original_key for i in images if i.original_key),
        ]
    }
    assert files_under(private) == expected_private
