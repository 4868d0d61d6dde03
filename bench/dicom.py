"""DICOM intake throughput: instances per second through STOW-RS (key-image de-identification
included), and separately the stack job's frames per second.

    .venv/bin/python bench/dicom.py [--slices 300] [--size 512] [--runs 1] [--no-stack]

Starts one real `fediverse-cases serve` (SQLite, loopback), issues a modality token with the
`tokens create` command, builds a CT series of ``--slices`` 512x512 16-bit slices with planted PHI
in the header and a name burned into the pixels, and POSTs it as one multipart/related request.
The request's time is what the PACS waits for: parsing and checking every instance, the engine on
the key image (faces, OCR, redaction), the key instance's PS3.15 copy, the originals into the
private store, the rows and the queued stack job. Prints the request size, the wall time,
instances per second and MB per second. Then (unless ``--no-stack``) it waits for the server's
de-identification worker to finish the stack job (every frame searched and rendered at the four CT
window presets, deidentify/stack.py, and every instance's PS3.15 copy) and prints its frames per
second, from the job's own start and end times.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from fediverse_cases.storage.models import DeidJob
from tests.support.dicom_studies import dicom_parts, make_study, multipart
from tests.support.live import LiveInstance, free_port


async def stack_job_seconds(instance: LiveInstance, timeout: float = 7200) -> float:
    """Wait for the newest stack job to settle; its run time (claim to done) in seconds."""
    deadline = time.monotonic() + timeout
    async with instance.state() as state:
        while time.monotonic() < deadline:
            async with state.sessionmaker() as db:
                job = await db.scalar(
                    select(DeidJob).where(DeidJob.kind == "stack").order_by(DeidJob.id.desc()).limit(1)
                )
            if job is not None and job.state == "failed":
                raise SystemExit(f"the stack job failed: {job.last_error}")
            if job is not None and job.state == "done" and job.started_at and job.done_at:
                return (job.done_at - job.started_at).total_seconds()
            await asyncio.sleep(1)
    raise SystemExit(f"the stack job did not finish in {timeout:g} s")


async def run(slices: int, size: int, runs: int, stack: bool = True) -> None:
    with tempfile.TemporaryDirectory() as root:
        instance = LiveInstance(
            "bench", free_port(), Path(root) / "bench", settings={"dicom": {"max_study_bytes": 2 * 1024**3}}
        )
        await instance.prepare()
        await instance.create_account("dr_bench")
        issued = instance.run_cli(
            "tokens", "create", "dr_bench", "--scopes", "write:media", "--name", "bench"
        )
        token = issued.stdout.strip()
        await instance.start(timeout=60)
        try:
            async with httpx.AsyncClient(timeout=3600) as client:
                for run_number in range(1, runs + 1):
                    study = make_study(slices, size=size)
                    body, content_type = multipart(dicom_parts(study.instances))
                    started = time.perf_counter()
                    response = await client.post(
                        f"{instance.url}/dicom-web/studies",
                        content=body,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                    )
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise SystemExit(f"STOW-RS answered {response.status_code}: {response.text[:500]}")
                    print(
                        f"run {run_number}: {slices} instances, {len(body) / 1e6:.1f} MB in {elapsed:.2f} s = "
                        f"{slices / elapsed:.1f} instances/s, {len(body) / 1e6 / elapsed:.1f} MB/s "
                        "(STOW-RS answer, key image de-identified, stack queued)"
                    )
                    if stack and slices > 1:
                        seconds = await stack_job_seconds(instance)
                        print(
                            f"run {run_number}: stack job of {slices} frames in {seconds:.1f} s = "
                            f"{slices / seconds:.2f} frames/s (every frame at every window preset)"
                        )
        finally:
            await instance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-stack", action="store_true", help="do not wait for the stack job")
    args = parser.parse_args()
    asyncio.run(run(args.slices, args.size, args.runs, stack=not args.no_stack))


if __name__ == "__main__":
    main()
