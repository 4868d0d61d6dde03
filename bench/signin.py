"""Sign-in latency over real HTTP, with the production argon2 parameters.

    .venv/bin/python bench/signin.py [--signins 40] [--concurrency 1,4]

Starts `fediverse-cases serve` on a fresh SQLite instance made by `init` (so the admin's hash
uses the production parameters of services/passwords.py), then signs in repeatedly: each
sign-in is GET /login (CSRF token) plus POST /login, timed together, with a fresh session each
time. Prints median and p90 per concurrency level, and for reference the time of one argon2
verification with our parameters and with argon2-cffi's defaults. Target: median under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fediverse_cases.services.passwords import default_hasher
from tests.support.server import ADMIN_PASSWORD, ServedInstance

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def one_signin(url: str) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        started = time.perf_counter()
        token = CSRF.search((await client.get("/login")).text)
        assert token
        response = await client.post(
            "/login",
            data={"csrf_token": token[1], "username": "admin", "password": ADMIN_PASSWORD, "next": ""},
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return elapsed


async def run(url: str, signins: int, concurrency: int) -> list[float]:
    results: list[float] = []
    queue = list(range(signins))

    async def worker() -> None:
        while queue:
            queue.pop()
            results.append(await one_signin(url))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def verify_ms(hasher: PasswordHasher, rounds: int = 10) -> float:
    hashed = hasher.hash("a password")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(hashed, "a password")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--signins", type=int, default=40)
    parser.add_argument("--concurrency", default="1,4")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ours, default = default_hasher(), PasswordHasher()
    print(
        f"one argon2id verification: ours (m={ours.memory_cost} KiB, t={ours.time_cost}, p={ours.parallelism}) "
        f"{verify_ms(ours):.0f} ms; argon2-cffi default (m={default.memory_cost} KiB, t={default.time_cost}, "
        f"p={default.parallelism}) {verify_ms(default):.0f} ms"
    )
    with tempfile.TemporaryDirectory() as tmp:
        instance = ServedInstance(Path(tmp))
        instance.prepare()
        instance.start()
        try:
            asyncio.run(run(instance.url, 3, 1))  # warm up
            for level in (int(c) for c in args.concurrency.split(",")):
                times = sorted(asyncio.run(run(instance.url, args.signins, level)))
                p90 = times[int(len(times) * 0.9) - 1]
                print(
                    f"sign-in (GET /login + POST /login), {level} at a time, {len(times)} sign-ins: "
                    f"median {statistics.median(times) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms"
                )
        finally:
            instance.stop()


if __name__ == "__main__":
    main()
