"""`fediverse-cases cases list|approve|reject|withdraw` against a real database, as a subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services import deid_jobs
from fediverse_cases.services.compose import (
    CaseDetails,
    ConsentInput,
    UploadedFile,
    add_images,
    record_consent,
    save_details,
    start_draft,
    submit_case,
)
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import AuditEvent, Case
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from tests.support.instances import create_account

REPO = Path(__file__).resolve().parents[2]


async def _pending_case(state, account, image: bytes, caption: str) -> Case:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        case = await start_draft(db, state, await get_actor_for_account(db, account.id))
    (outcome,) = await add_images(state, case.id, [UploadedFile(image, "a.jpg")])
    (job,) = await deid_jobs.process_now(state, [outcome.job_id])
    assert job.state == "done", job.last_error
    async with state.transaction() as db:
        case = await db.get(Case, case.id)
        await save_details(db, case, CaseDetails(caption=caption))
        consent = ConsentInput("institutional_waiver", date.today().isoformat(), "Dr Who")
        await record_consent(db, state, case, consent, account.id)
        await submit_case(db, state, case, Operator(account.id, account.username))
    return case


def _config(state, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings = state.settings
    config = tmp_path / "cli.toml"
    config.write_text(
        f'[instance]\nname = "CLI Hospital"\nbase_url = "{settings.instance.base_url}"\n'
        f'[database]\nurl = "{settings.database_url}"\n[session]\nsecret = "{"s" * 40}"\n'
        f'[media]\ndir = "{settings.media_dir}"\nprivate_dir = "{settings.private_dir}"\n'
    )
    return config


async def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "fediverse_cases.cli", "cases", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "FEDIVERSE_CASES_SERVER_RUN_BACKGROUND_WORKERS": "false"},
        cwd=REPO,
        timeout=120,
    )


async def _states(state) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return {case.public_id: case.state for case in (await db.execute(select(Case))).scalars()}


async def test_cases_commands_list_approve_reject_withdraw(state, tmp_path, jpeg) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
    first = await _pending_case(state, author, jpeg((120, 90)), "First lesion")
    second = await _pending_case(state, author, jpeg((120, 90)), "Second lesion")
    config = _config(state, tmp_path)

    listing = await _cli(config, "list", "--state", "pending")
    assert listing.returncode == 0, listing.stderr
    assert first.public_id in listing.stdout and "Second lesion" in listing.stdout

    approved = await _cli(config, "approve", str(first.id))
    assert approved.returncode == 0, approved.stderr
    assert "approved and published" in approved.stdout
    rejected = await _cli(config, "reject", second.public_id, "--reason", "Identifying tattoo")
    assert rejected.returncode == 0, rejected.stderr
    assert await _states(state) == {first.public_id: "published", second.public_id: "rejected"}

    again = await _cli(config, "approve", second.public_id)
    assert again.returncode == 1 and "waiting for review" in again.stderr
    withdrawn = await _cli(config, "withdraw", first.public_id)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert (await _states(state))[first.public_id] == "withdrawn"
    listing = await _cli(config, "list", "--state", "withdrawn")
    assert first.public_id in listing.stdout and second.public_id not in listing.stdout

    async with state.sessionmaker() as db:
        events = (
            await db.execute(
                select(AuditEvent).where(
                    AuditEvent.action.in_(["case.approve", "case.reject", "case.withdraw"])
                )
            )
        ).scalars()
        by_action = {event.action: event for event in events}
    assert by_action["case.approve"].case_id == first.id and by_action["case.approve"].actor_label.startswith(
        "shell:"
    )
    assert by_action["case.reject"].case_id == second.id
    assert by_action["case.withdraw"].case_id == first.id
    assert [p for p in state.settings.media_dir.rglob("*") if p.is_file() and first.public_id in p.name] == []
