"""HTTP throughput of the federation surface and the pages, side by side with the Fedify peer.

    .venv/bin/python bench/http_load.py [--cases 100000] [--connections 32] [--duration 8] [--warmup 2] [--workers 0] [--only TEXT]

Seeds a fresh SQLite instance (migrated by our Alembic migrations; cases bulk-inserted as in
``bench/pages.py``: 100,000 take about a minute here), starts it with ``fediverse-cases serve``
(``--workers 0`` = one hypercorn worker per core, the default) and the Fedify peer from the
interop tests (``tests/interop/fedify_peer``, installed on first use), then loads each route for
``--duration`` seconds with ``--connections`` concurrent keep-alive clients using wrk, ours and
the peer's in the same run, and prints requests/s, p50 and p99 and the ratio. Last, the same load
on ``bench/floor_app.py`` (hypercorn with the same workers answering a constant document from an
empty ASGI app) gives the floor: what hypercorn alone serves on this machine. Each route is first
loaded for ``--warmup`` seconds, unmeasured, ours and the peer's alike: the table is the steady
state, not a process's first requests of a route (its caches and SQLite's pages still cold).

wrk comes from Debian: ``apt-get install wrk``. The machine is shared, so the table names the
load average before and after; read the ratios.
"""

# ruff: noqa: E402 - the imports below need the path fixed first
from __future__ import annotations

import sys
from pathlib import Path

# The repository root on the path (bench.pages, tests). Named http_load.py, not http.py (as issue 11
# asked): a bench/http.py shadows the standard library's http package for every script in bench/.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import httpx
from argon2 import PasswordHasher

from bench.pages import PASSWORD, bulk_insert, create_people, loadavg
from fediverse_cases.services.actors import ensure_instance_actor
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.migrate import upgrade_to_head
from tests.interop.fedify_peer import FedifyPeer

AS2 = "application/activity+json"
FLOOR = "floor: empty ASGI app"


@dataclass(frozen=True)
class Route:
    label: str
    ours: str
    peer: str | None
    accept: str
    expect: int = 200
    cookie: str = ""  # a signed-in reader's session: the page is rendered for them


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(root: Path, port: int, workers: int) -> Path:
    config = root / "instance.toml"
    config.write_text(
        "[instance]\n"
        'name = "Bench General"\n'
        f'base_url = "http://127.0.0.1:{port}"\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{root / "bench.db"}"\n'
        f'[media]\ndir = "{root / "media"}"\nprivate_dir = "{root / "private"}"\n'
        f'[session]\nsecret = "{secrets.token_urlsafe(40)}"\n'
        f"[server]\nport = {port}\nworkers = {workers}\n"
        '[logging]\naccess_log = "off"\n',
        encoding="utf-8",
    )
    return config


async def seed(config: Path, cases: int) -> tuple[str, float]:
    """Accounts through the services, cases bulk-inserted; returns a public case id and seconds."""
    state = AppState.from_settings(load_settings(config, env={}))
    state.passwords = Passwords(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    await upgrade_to_head(state.engine)
    async with state.transaction() as db:
        await ensure_instance_actor(db, state.urls, state.settings.instance.name)
    author_ids, _reader = await create_people(state)
    await state.close()
    loaded = bulk_insert(config.parent / "bench.db", cases, author_ids, random.Random(4))
    visible = loaded["visible"]
    assert visible, "no public case was seeded"
    return str(visible[0][1]), float(loaded["seconds"])  # type: ignore[index, arg-type]


def start_ours(config: Path, port: int) -> subprocess.Popen[bytes]:
    log = open(config.parent / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "fediverse_cases.cli", "serve", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return answering(process, f"http://127.0.0.1:{port}/healthz", config.parent / "server.log")


def answering(process: subprocess.Popen[bytes], url: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """``process`` once ``url`` answers 200; exits with the end of its ``log`` if it stops first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(log.read_text()[-3000:] if log else f"{process.args} exited")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{process.args} did not answer {url}")


_DURATION = re.compile(r"([\d.]+)(us|ms|s)\b")


def _ms(text: str) -> float:
    match = _DURATION.match(text)
    assert match, text
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, accept: str, connections: int, duration: int, threads: int, cookie: str = "") -> Result:
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-H",
            f"Accept: {accept}",
            *(["-H", f"Cookie: {cookie}"] if cookie else []),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", output)
    return Result(rate, p50, p99, (int(bad[1]) if bad else 0) + (int(errors[1]) if errors else 0))


def check(url: str, accept: str, expect: int, cookie: str = "") -> None:
    headers = {"Accept": accept, **({"Cookie": cookie} if cookie else {})}
    response = httpx.get(url, headers=headers, timeout=30)
    if response.status_code != expect:
        raise SystemExit(f"{url} answered {response.status_code}, expected {expect}")


def reader_session(base_url: str) -> str:
    """The Cookie header of the seeded reader, signed in through the sign-in form."""
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, "no CSRF token on /login"
        answer = browser.post(
            "/login", data={"username": "reader", "password": PASSWORD, "csrf_token": token[1]}
        )
        assert answer.status_code == 302, answer.text[:500]
        # A browser keeps the cookie each answer sets: the first page after signing in puts the
        # session's CSRF token in it. Without this, every request would carry a session without
        # one and be handed a new cookie, as no browser would.
        assert browser.get("/").status_code == 200
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def start_floor(port: int, workers: int) -> subprocess.Popen[bytes]:
    """``bench/floor_app.py`` on ``port``, once it answers."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("floor_app.py")), str(port), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return answering(process, f"http://127.0.0.1:{port}/")


def routes(port: int, peer_port: int, case_id: str, cookie: str) -> list[Route]:
    ours, peer = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer_port}"
    return [
        Route("actor (AS2)", f"{ours}/users/author000", f"{peer}/users/peer", AS2),
        Route(
            "WebFinger",
            f"{ours}/.well-known/webfinger?resource=acct:author000@127.0.0.1:{port}",
            f"{peer}/.well-known/webfinger?resource=acct:peer@127.0.0.1:{peer_port}",
            "application/jrd+json",
        ),
        Route("NodeInfo 2.1", f"{ours}/nodeinfo/2.1", f"{peer}/nodeinfo/2.1", "application/json"),
        Route("outbox", f"{ours}/users/author000/outbox", f"{peer}/users/peer/outbox", AS2),
        Route("case object (AS2)", f"{ours}/cases/{case_id}", None, AS2),
        Route("outbox page (AS2)", f"{ours}/users/author000/outbox?page=true", None, AS2),
        Route("case page (HTML)", f"{ours}/cases/{case_id}", None, "text/html"),
        Route("home page (HTML)", f"{ours}/", None, "text/html"),
        Route("local feed (HTML)", f"{ours}/feed/local", None, "text/html"),
        Route("tag feed (HTML)", f"{ours}/tags/dermatology", None, "text/html"),
        Route("search (HTML)", f"{ours}/search?q=plaque", None, "text/html"),
        Route("case page, signed in", f"{ours}/cases/{case_id}", None, "text/html", cookie=cookie),
        Route("home, signed in", f"{ours}/", None, "text/html", cookie=cookie),
        Route("local feed, signed in", f"{ours}/feed/local", None, "text/html", cookie=cookie),
        Route("tag feed, signed in", f"{ours}/tags/dermatology", None, "text/html", cookie=cookie),
        Route("search, signed in", f"{ours}/search?q=plaque", None, "text/html", cookie=cookie),
        Route("following, signed in", f"{ours}/feed/following", None, "text/html", cookie=cookie),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds of load per route first")
    parser.add_argument("--workers", type=int, default=0, help="hypercorn workers; 0 = one per core")
    parser.add_argument("--only", default="", help="only the routes whose label contains this text")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    port, peer_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="fc-http-bench-") as folder:
        root = Path(folder)
        config = write_config(root, port, args.workers)
        case_id, seconds = asyncio.run(seed(config, args.cases))
        print(f"seeded {args.cases} cases in {seconds:.1f} s")
        server = start_ours(config, port)
        peer = FedifyPeer(peer_port, log_level="error", log_dir=root).start()
        try:
            table = []
            load_before = loadavg()
            cookie = reader_session(f"http://127.0.0.1:{port}")
            for route in routes(port, peer_port, case_id, cookie):
                if args.only not in route.label:
                    continue
                check(route.ours, route.accept, route.expect, route.cookie)
                if args.warmup:
                    run_wrk(
                        route.ours, route.accept, args.connections, args.warmup, args.threads, route.cookie
                    )
                ours = run_wrk(
                    route.ours, route.accept, args.connections, args.duration, args.threads, route.cookie
                )
                theirs = None
                if route.peer is not None:
                    check(route.peer, route.accept, route.expect)
                    if args.warmup:
                        run_wrk(route.peer, route.accept, args.connections, args.warmup, args.threads)
                    theirs = run_wrk(route.peer, route.accept, args.connections, args.duration, args.threads)
                table.append((route.label, ours, theirs))
        finally:
            peer.stop()
            server.terminate()
            server.wait(timeout=20)
    workers = args.workers or os.cpu_count() or 1
    if args.only in FLOOR:
        floor_port = free_port()
        floor = start_floor(floor_port, workers)
        try:
            url = f"http://127.0.0.1:{floor_port}/"
            if args.warmup:
                run_wrk(url, "*/*", args.connections, args.warmup, args.threads)
            table.append((FLOOR, run_wrk(url, "*/*", args.connections, args.duration, args.threads), None))
        finally:
            floor.terminate()
            floor.wait(timeout=20)
    load_after = loadavg()
    print(
        f"\n{args.connections} connections, {args.threads} wrk threads, {args.duration} s per route "
        f"after {args.warmup} s unmeasured; "
        f"ours: {workers} hypercorn workers, SQLite, {args.cases} cases; load {load_before} -> {load_after}\n"
    )
    print(
        f"{'route':<22} {'ours req/s':>10} {'p50 ms':>7} {'p99 ms':>7}   {'Fedify req/s':>12} {'p50 ms':>7} {'p99 ms':>7}   {'ratio':>6}"
    )
    for label, ours, theirs in table:
        line = f"{label:<22} {ours.requests_per_second:>10.0f} {ours.p50_ms:>7.1f} {ours.p99_ms:>7.1f}"
        if theirs is not None:
            ratio = ours.requests_per_second / theirs.requests_per_second
            line += f"   {theirs.requests_per_second:>12.0f} {theirs.p50_ms:>7.1f} {theirs.p99_ms:>7.1f}   {ratio:>5.1f}x"
        if ours.errors or (theirs and theirs.errors):
            line += f"   (errors: ours {ours.errors}, peer {theirs.errors if theirs else 0})"
        print(line)


if __name__ == "__main__":
    main()
