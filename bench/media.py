"""Media throughput: bytes sent by Python versus bytes sent by nginx, in one run.

    .venv/bin/python bench/media.py [--seconds 8] [--concurrency 8] [--megapixels 12]

Prepares one instance (SQLite) with a published public case whose image is a realistic JPEG,
then serves it from two `fediverse-cases serve` processes on the same data: one with
``[media] serve_mode = "python"``, one with ``"x-accel-redirect"``, each behind its own real
nginx configured from the shipped nginx.conf (TLS on both, so only the media path differs). A
third row requests the Python server directly, without nginx. For each it prints requests per
second, MB per second and the app process's CPU milliseconds per request (the cost Python pays).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.models import CaseImage
from tests.support.case_rows import insert_case
from tests.support.instances import create_account, fast_passwords
from tests.support.nginx import NginxProxy
from tests.support.server import ServedInstance, free_port


def photo(megapixels: float) -> bytes:
    """A noisy photo-like JPEG (smooth gradients plus grain), about what a phone sends."""
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x / width) * 180 + 40, (y / height) * 120 + 60, ((x + y) / (width + height)) * 200], -1)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=88)
    return out.getvalue()


async def seed(config: Path, data: bytes) -> str:
    state = AppState.from_settings(load_settings(config, env={}))
    state.passwords = fast_passwords()
    try:
        author = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        case = await insert_case(state, author)
        async with state.sessionmaker() as db:
            image = (await db.execute(CaseImage.__table__.select().where(CaseImage.case_id == case.id))).one()
        path = state.settings.media_dir / image.media_key[:2] / f"{image.media_key}-full.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path.name
    finally:
        await state.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, seconds: float, concurrency: int, expected: int) -> tuple[int, int, list[float]]:
    done = 0
    total = 0
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(verify=False, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal done, total
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200 and len(response.content) == expected, response.status_code
                done += 1
                total += len(response.content)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, total, latencies


def start_app(root: Path, mode: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "FEDIVERSE_CASES_MEDIA_SERVE_MODE": mode,
        "FEDIVERSE_CASES_SERVER_PORT": str(port),
        "FEDIVERSE_CASES_LOGGING_ACCESS_LOG": "off",
    }
    log = open(root / f"server-{mode}.log", "wb")  # noqa: SIM115 (lives as long as the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "fediverse_cases.cli", "serve", "--config", str(root / "instance.toml")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError((root / f"server-{mode}.log").read_text()[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        instance = ServedInstance(root / "app")
        instance.prepare()
        data = photo(args.megapixels)
        name = asyncio.run(seed(instance.config_path, data))
        processes: list[subprocess.Popen[bytes]] = []
        proxies: list[NginxProxy] = []
        try:
            rows = []
            for mode in ("python", "x-accel-redirect"):
                process, port = start_app(instance.root, mode)
                processes.append(process)
                proxy = NginxProxy(
                    root / f"nginx-{mode}", upstream_port=port, media_dir=instance.root / "media"
                )
                proxy.start()
                proxies.append(proxy)
                rows.append((f"{mode} behind nginx (TLS)", process.pid, f"{proxy.url}/media/{name}"))
                if mode == "python":
                    rows.append(
                        ("python direct (no proxy)", process.pid, f"http://127.0.0.1:{port}/media/{name}")
                    )
            print(
                f"image: {len(data) / 1e6:.1f} MB JPEG ({args.megapixels:g} MP); {args.concurrency} concurrent clients, "
                f"{args.seconds:g} s each; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
            )
            print(f"{'path':34} {'req/s':>8} {'MB/s':>8} {'median ms':>10} {'app CPU ms/req':>15}")
            for label, pid, url in rows:
                asyncio.run(load(url, 1.0, args.concurrency, len(data)))  # warm up connections and caches
                before = cpu_seconds(pid)
                started = time.perf_counter()
                done, total, latencies = asyncio.run(load(url, args.seconds, args.concurrency, len(data)))
                elapsed = time.perf_counter() - started
                app_cpu = (cpu_seconds(pid) - before) * 1000 / max(done, 1)
                print(
                    f"{label:34} {done / elapsed:8.1f} {total / elapsed / 1e6:8.1f} "
                    f"{statistics.median(latencies) * 1000:10.1f} {app_cpu:15.2f}"
                )
        finally:
            for proxy in proxies:
                proxy.stop()
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
