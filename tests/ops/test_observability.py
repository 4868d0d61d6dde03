"""Access log and /metrics on a real served instance (one shared by this module's tests)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.datastructures import Headers

from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.models import Delivery
from fediverse_cases.web.observability import metrics_allowed
from tests.support.server import ServedInstance

pytestmark = pytest.mark.e2e
TOKEN = "metrics-token-" + "m" * 30


async def _queue_delivery(config) -> None:  # type: ignore[no-untyped-def]
    state = AppState.from_settings(load_settings(config, env={}))
    try:
        async with state.transaction() as db:
            db.add(
                Delivery(
                    activity_id="https://x.test/a/1",
                    sender_actor_id=1,  # the instance actor `init` made
                    inbox_url="https://peer.example/inbox",
                    peer_host="peer.example",
                    payload="{}",
                )
            )
    finally:
        await state.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInstance]:
    instance = ServedInstance(tmp_path_factory.mktemp("observed"))
    instance.prepare()
    with instance.config_path.open("a", encoding="utf-8") as config:
        config.write(f'[logging]\naccess_log = "json"\n[metrics]\ntoken = "{TOKEN}"\n')
    # Listen on every address, so a non-loopback client can be tried where the machine has one;
    # no delivery worker, so the queued delivery stays pending for the backlog gauge.
    text = instance.config_path.read_text().replace(
        "[server]\n", '[server]\nhost = "0.0.0.0"\nrun_background_workers = false\n'
    )
    instance.config_path.write_text(text)
    asyncio.run(_queue_delivery(instance.config_path))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def _log_lines(instance: ServedInstance, marker: str) -> list[dict]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [
            json.loads(line)
            for line in (instance.root / "server.log").read_text().splitlines()
            if line.startswith("{") and marker in line
        ]
        if lines:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {marker}")


def test_one_json_access_line_per_request_with_status_and_duration(served: ServedInstance) -> None:
    assert httpx.get(f"{served.url}/specialties").status_code == 200
    assert httpx.get(f"{served.url}/no-such-page-logged").status_code == 404
    assert httpx.get(f"{served.url}/search", params={"q": "secret-oauth-code"}).status_code == 200
    (ok,) = _log_lines(served, '"/specialties"')
    assert ok["status"] == 200 and ok["method"] == "GET" and ok["duration_ms"] > 0 and ok["bytes"] > 0
    (missing,) = _log_lines(served, "/no-such-page-logged")
    assert missing["status"] == 404
    _log_lines(served, '"/search"')
    assert "secret-oauth-code" not in (served.root / "server.log").read_text()  # no query strings


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_from_loopback_report_latency_and_backlog(served: ServedInstance) -> None:
    httpx.get(f"{served.url}/specialties")
    response = httpx.get(f"{served.url}/metrics")
    assert response.status_code == 200
    families = _families(response.text)
    latency = families["fediverse_cases_http_request_duration_seconds"]
    routes = {s.labels.get("route") for s in latency.samples if s.name.endswith("_count")}
    assert "/specialties" in routes
    backlog = {s.labels["peer"]: s.value for s in families["fediverse_cases_deliveries_pending"].samples}
    assert backlog == {"peer.example": 1.0}
    assert "fediverse_cases_inbox_items" in families and "fediverse_cases_cases" in families


def test_metrics_refuse_relayed_requests_without_the_token(served: ServedInstance) -> None:
    relayed = {"X-Forwarded-For": "203.0.113.9"}
    assert httpx.get(f"{served.url}/metrics", headers=relayed).status_code == 404
    wrong = {**relayed, "Authorization": "Bearer " + "x" * 44}
    assert httpx.get(f"{served.url}/metrics", headers=wrong).status_code == 404
    right = {**relayed, "Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{served.url}/metrics", headers=right).status_code == 200


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_metrics_refuse_a_non_loopback_client_without_the_token(served: ServedInstance) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    assert httpx.get(f"http://{address}:{served.port}/metrics").status_code == 404
    authorized = httpx.get(
        f"http://{address}:{served.port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert authorized.status_code == 200


@pytest.mark.parametrize(
    ("remote", "headers", "token", "allowed"),
    [
        ("127.0.0.1", {}, "", True),
        ("::1", {}, "", True),
        ("10.1.2.3", {}, "", False),
        ("10.1.2.3", {"Authorization": "Bearer " + TOKEN}, TOKEN, True),
        ("10.1.2.3", {"Authorization": "Bearer " + TOKEN}, "", False),
        ("127.0.0.1", {"Forwarded": "for=198.51.100.7"}, "", False),
        ("127.0.0.1", {"X-Real-IP": "198.51.100.7"}, "", False),
        (None, {}, "", False),
    ],
)
def test_who_may_read_metrics(remote: str | None, headers: dict, token: str, allowed: bool) -> None:
    assert metrics_allowed(remote, Headers(headers), token) is allowed
