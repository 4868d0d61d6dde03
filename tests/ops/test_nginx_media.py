"""Media bytes through a real nginx: the app decides access, nginx sends the file.

One served instance (``[media] serve_mode = "x-accel-redirect"``) behind one nginx configured
from the shipped nginx.conf, shared by the tests of this module. A published public case, a
"this hospital only" case and a case awaiting review each have one stored image.
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.models import CaseImage
from tests.support.case_rows import insert_case
from tests.support.instances import PASSWORD, create_account, fast_passwords
from tests.support.nginx import NginxProxy, nginx_binary
from tests.support.server import ServedInstance, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx missing: bash tests/run.sh installs it"),
]


@dataclass
class Stack:
    app: ServedInstance
    nginx: NginxProxy
    public_name: str
    public_bytes: bytes
    local_only_name: str
    pending_name: str


def _jpeg(seed: int) -> bytes:
    image = Image.effect_noise((640, 480), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


async def _seed(config: Path) -> dict[str, tuple[str, bytes]]:
    state = AppState.from_settings(load_settings(config, env={}))
    state.passwords = fast_passwords()
    try:
        author = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        made: dict[str, tuple[str, bytes]] = {}
        for seed, (label, case_state, visibility) in enumerate(
            [
                ("public", CaseState.PUBLISHED, Visibility.PUBLIC),
                ("local_only", CaseState.PUBLISHED, Visibility.LOCAL),
                ("pending", CaseState.PENDING, Visibility.PUBLIC),
            ]
        ):
            case = await insert_case(state, author, case_state=case_state, visibility=visibility)
            async with state.sessionmaker() as db:
                image = (
                    await db.execute(CaseImage.__table__.select().where(CaseImage.case_id == case.id))
                ).one()
            data = _jpeg(seed)
            path = state.settings.media_dir / image.media_key[:2] / f"{image.media_key}-full.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            made[label] = (path.name, data)
        return made
    finally:
        await state.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("nginx-media")
    app = ServedInstance(root / "app")
    app.prepare()
    with app.config_path.open("a", encoding="utf-8") as config:
        config.write('[media]\nserve_mode = "x-accel-redirect"\naccel_prefix = "/_media_internal/"\n')
    made = asyncio.run(_seed(app.config_path))
    app.start()
    nginx = NginxProxy(root / "nginx", upstream_port=app.port, media_dir=root / "app" / "media")
    try:
        nginx.start()
        yield Stack(
            app, nginx, made["public"][0], made["public"][1], made["local_only"][0], made["pending"][0]
        )
    finally:
        nginx.stop()
        app.stop()


@pytest.fixture
def through_nginx(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.nginx.url, verify=False, timeout=10) as client:
        yield client


def test_published_media_is_sent_by_nginx_with_the_apps_headers(
    stack: Stack, through_nginx: httpx.Client
) -> None:
    response = through_nginx.get(f"/media/{stack.public_name}")
    assert response.status_code == 200
    assert response.content == stack.public_bytes
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "x-accel-redirect" not in response.headers
    # File metadata only nginx's static module adds: the bytes came from disk, not from Python.
    assert "last-modified" in response.headers and "etag" in response.headers
    # And the app itself only named the file: its own answer has no body.
    direct = httpx.get(f"{stack.app.url}/media/{stack.public_name}")
    assert direct.status_code == 200 and direct.content == b""
    assert (
        direct.headers["x-accel-redirect"] == f"/_media_internal/{stack.public_name[:2]}/{stack.public_name}"
    )


def test_unpublished_and_local_only_media_is_refused(stack: Stack, through_nginx: httpx.Client) -> None:
    for name in (stack.pending_name, stack.local_only_name):
        response = through_nginx.get(f"/media/{name}")
        assert response.status_code == 404, name
        assert not response.headers["content-type"].startswith("image/")
        assert b"\xff\xd8" not in response.content[:4]


def test_the_internal_location_cannot_be_requested_directly(
    stack: Stack, through_nginx: httpx.Client
) -> None:
    for name in (stack.public_name, stack.pending_name):
        response = through_nginx.get(f"/_media_internal/{name[:2]}/{name}")
        assert response.status_code == 404
        assert not response.headers.get("content-type", "").startswith("image/")


def test_unknown_and_malformed_media_names_are_refused(through_nginx: httpx.Client) -> None:
    assert through_nginx.get(f"/media/{secrets.token_hex(16)}-full.jpg").status_code == 404
    assert through_nginx.get("/media/..%2f..%2fetc%2fpasswd").status_code in (400, 404)


def test_pages_go_through_the_proxy_with_tls_and_plain_http_is_redirected(
    stack: Stack, through_nginx: httpx.Client
) -> None:
    page = through_nginx.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["strict-transport-security"].startswith("max-age=")
    plain = httpx.get(f"http://127.0.0.1:{stack.nginx.http_port}/", follow_redirects=False)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")


def test_metrics_are_not_exposed_through_the_proxy(through_nginx: httpx.Client) -> None:
    assert through_nginx.get("/metrics").status_code == 404


def test_hospital_only_media_reaches_signed_in_staff_and_is_never_cached_publicly(stack: Stack) -> None:
    with httpx.Client(base_url=stack.nginx.url, verify=False, timeout=10) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"csrf_token": token[1], "username": "clinician", "password": PASSWORD, "next": ""}
        assert client.post("/login", data=form).status_code == 302
        response = client.get(f"/media/{stack.local_only_name}")
        pending = client.get(f"/media/{stack.pending_name}")  # the author's own case awaiting review
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert pending.status_code == 200 and pending.headers["cache-control"] == "private, no-store"


def test_an_upload_nginx_refuses_gets_the_sites_413_page(stack: Stack) -> None:
    # Only the headers: nginx answers from Content-Length alone, before any body is sent.
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", stack.nginx.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(
            b"POST /compose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 900000000\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        # Stop at the end of the page: nginx would otherwise linger for the body for seconds.
        while b"</html>" not in answer and (chunk := tls.recv(65536)):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Upload too large" in body and b"/static/style.css" in body
    assert b"<center>nginx" not in body


def test_when_the_app_is_down_nginx_says_so_in_words(tmp_path: Path, stack: Stack) -> None:
    dead = NginxProxy(tmp_path / "nginx-dead", upstream_port=free_port(), media_dir=stack.nginx.media_dir)
    dead.start()
    try:
        response = httpx.get(f"{dead.url}/cases/anything", verify=False, timeout=10)
    finally:
        dead.stop()
    assert response.status_code == 503
    assert "Back in a moment" in response.text and "nginx" not in response.text
    assert response.headers["retry-after"] == "30"
