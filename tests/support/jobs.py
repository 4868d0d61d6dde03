"""Stepping the de-identification job worker in app tests (one claim at a time, as the worker
loop does), for tests that drive the pages with the Quart test client and no running worker."""

from __future__ import annotations

from fediverse_cases.services import deid_jobs


async def run_deid_jobs(state) -> int:  # type: ignore[no-untyped-def]
    """Run every due job; return how many ran."""
    total = 0
    while ran := await deid_jobs.run_once(state):
        total += ran
    return total
