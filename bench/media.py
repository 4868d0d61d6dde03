"""Media throughput: bytes sent by Python versus bytes sent by nginx, in one run.

    .venv/bin/python bench/media.py [--requests 400] [--concurrency 8] [--megapixels 12]

Prepares one instance (SQLite) with a published public case whose image is a realistic JPEG,
then serves it from two `fediverse-cases serve` processes on the same data: one with
``[media] serve_mode = "python"``, one with ``"x-accel-redirect"``, each behind its own real
nginx configured from the shipped nginx.conf (TLS on both, so only the media path differs). A
third row requests the Python server directly, without nginx. The client is curl (parallel
transfers), so the client is not what is measured. For each path it prints requests per second,
MB per second, the median request time and the app process's CPU milliseconds per request (what
Python pays per image).
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


def load(url: str, requests: int, concurrency: int, expected: int) -> tuple[float, list[float]]:
    """``requests`` GETs, ``concurrency`` at a time, by curl (C: the client is not the bottleneck).

    Returns the wall time and each request's total time; fails on any wrong status or size."""
    config = "".join(f'url = "{url}"\noutput = "/dev/null"\n' for _ in range(requests))
    started = time.perf_counter()
    result = subprocess.run(
        [
            "curl",
            "-sk",
            "--parallel",
            "--parallel-max",
            str(concurrency),
            "-w",
            "%{http_code} %{size_download} %{time_total}\n",
            "-K",
            "-",
        ],
        input=config,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    rows = [line.split() for line in result.stdout.splitlines()]
    assert len(rows) == requests and all(r[0] == "200" and int(r[1]) == expected for r in rows), rows[:3]
    return elapsed, [float(r[2]) for r in rows]


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
    parser.add_argument("--requests", type=int, default=400)
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
                f"image: {len(data) / 1e6:.1f} MB JPEG ({args.megapixels:g} MP); {args.requests} requests per path, "
                f"{args.concurrency} at a time (curl); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
            )
            print(f"{'path':34} {'req/s':>8} {'MB/s':>8} {'median ms':>10} {'app CPU ms/req':>15}")
            for label, pid, url in rows:
                load(url, args.concurrency * 4, args.concurrency, len(data))  # warm up connections and caches
                before = cpu_seconds(pid)
                elapsed, latencies = load(url, args.requests, args.concurrency, len(data))
                app_cpu = (cpu_seconds(pid) - before) * 1000 / args.requests
                print(
                    f"{label:34} {args.requests / elapsed:8.1f} {args.requests * len(data) / elapsed / 1e6:8.1f} "
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
