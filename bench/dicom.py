"""DICOM intake throughput: instances per second through STOW-RS, de-identification included.

    .venv/bin/python bench/dicom.py [--slices 300] [--size 512] [--runs 1]

Starts one real `fediverse-cases serve` (SQLite, loopback), issues a modality token with the
`tokens create` command, builds a CT series of ``--slices`` 512x512 16-bit slices with planted PHI
in the header and a name burned into the pixels, and POSTs it as one multipart/related request.
The time is the whole request: parsing and checking every instance, the engine on the key image
(faces, OCR, redaction), the stack (every frame searched and rendered at the four CT window
presets, deidentify/stack.py), the PS3.15 copies, the originals into the private store and the
rows. Prints the request size, the wall time, instances per second and MB per second.
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

from tests.support.dicom_studies import dicom_parts, make_study, multipart
from tests.support.live import LiveInstance, free_port


async def run(slices: int, size: int, runs: int) -> None:
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
                        f"{slices / elapsed:.1f} instances/s, {len(body) / 1e6 / elapsed:.1f} MB/s"
                    )
        finally:
            await instance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.slices, args.size, args.runs))


if __name__ == "__main__":
    main()
