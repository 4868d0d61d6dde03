"""``POST /api/v2/media`` over real HTTP, on SQLite and PostgreSQL, with `serve` running no
workers (``run_background_workers = false``, ``run_deidentify_jobs = false``): the upload answers 202 with ``url`` null at once,
``GET /api/v1/media/:id`` keeps answering 206 while nobody works the queue, and a separate
`fediverse-cases worker` process (as on another machine sharing the database) de-identifies it,
after which the GET answers 200 with the image's URLs, as Mastodon does."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_api_statuses import planted_jpeg
from tests.support.api_server import approve_in_browser, seed_served_accounts
from tests.support.server import ServedInstance

pytestmark = pytest.mark.e2e


def _token(base_url: str, username: str) -> str:
    scopes = ["read", "write"]
    client_id, client_secret = Mastodon.create_app(
        "Jobs test", scopes=scopes, api_base_url=base_url, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=base_url, version_check_mode="none"
    )
    url = api.auth_request_url(scopes=scopes, redirect_uris="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    code = approve_in_browser(base_url, url.replace(base_url, ""), username)
    return str(
        api.log_in(code=code, scopes=scopes, redirect_uri="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    )


def _served(root: Path, database_url: str) -> ServedInstance:
    instance = ServedInstance(
        root,
        database_url=database_url,
        extra_config="run_background_workers = false\nrun_deidentify_jobs = false\n",
    )
    instance.prepare()
    seed_served_accounts(str(instance.config_path), [("dr_ada", "professional", True)])
    instance.start()
    return instance


async def test_v2_media_202_then_206_until_a_separate_worker_runs_the_job_then_200(
    database_url: str, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:  # seeding runs its own event loop
        instance = pool.submit(_served, tmp_path / "instance", database_url).result()
    worker: subprocess.Popen[bytes] | None = None
    try:
        token = await asyncio.to_thread(_token, instance.url, "dr_ada")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=instance.url, headers=headers, timeout=30) as client:
            started = time.monotonic()
            accepted = await client.post(
                "/api/v2/media",
                files={"file": ("lesion.jpg", planted_jpeg(), "image/jpeg")},
                data={"description": "Plaque"},
            )
            answered = time.monotonic() - started
            assert accepted.status_code == 202, accepted.text
            body = accepted.json()
            assert body["url"] is None and body["type"] == "image"
            assert answered < 5, f"the upload took {answered:.1f} s to answer"

            await asyncio.sleep(1.5)  # no worker anywhere: the job waits, durable
            waiting = await client.get(f"/api/v1/media/{body['id']}")
            assert waiting.status_code == 206 and waiting.json()["url"] is None
            # The waiting job shows on /metrics (queue depth and age), scraped from this machine.
            scraped = await client.get("/metrics")
            families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
            depth = {s.labels["state"]: s.value for s in families["fediverse_cases_deid_jobs"].samples}
            assert depth == {"pending": 1.0}
            (age,) = families["fediverse_cases_deid_job_oldest_pending_seconds"].samples
            assert age.value >= 1.0

            log = (tmp_path / "worker.log").open("wb")
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fediverse_cases.cli",
                    "worker",
                    "--config",
                    str(instance.config_path),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 180
            while True:
                done = await client.get(f"/api/v1/media/{body['id']}")
                if done.status_code != 206 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.3)
            assert done.status_code == 200, (
                done.status_code,
                done.text,
                (tmp_path / "worker.log").read_text(),
            )
            media = done.json()
            assert media["url"] and media["blurhash"] and media["meta"]["original"]["width"] > 0
            assert "-full." in media["url"] and "-thumb." in media["preview_url"]
            # Not attached to a published case yet, so nobody is served its bytes.
            assert (await client.get(media["url"])).status_code == 404
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        instance.stop()
