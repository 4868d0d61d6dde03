"""Fixtures for the case pipeline tests: one warmed de-identification engine for the session,
synthetic clinical-looking images, and helpers that drive the compose and review pages."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery, Follow
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.support.fed_peer import FakePeer, install_fake_network
from tests.support.instances import create_account
from tests.support.jobs import run_deid_jobs
from tests.support.web import csrf_token, sign_in


@pytest.fixture(scope="session")
def deid_engine() -> Deidentifier:
    engine = Deidentifier(DeidentifyPolicy())
    engine.warm_up()
    return engine


@pytest.fixture
async def state(state, deid_engine):  # type: ignore[no-untyped-def]
    # Share one engine across tests so its models load once per run.
    state.deidentifier = deid_engine
    return state


def lesion_jpeg(size: tuple[int, int] = (320, 240), text: str = "") -> bytes:
    """A skin-coloured picture with a dark lesion, optionally with burned-in text."""
    image = Image.new("RGB", size, (214, 170, 140))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 3, h // 3, w // 3 + w // 4, h // 3 + h // 4), fill=(90, 40, 35))
    if text:
        draw.text((10, 10), text, fill=(255, 255, 255), font=ImageFont.load_default(size=max(14, h // 10)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture
def jpeg():  # type: ignore[no-untyped-def]
    return lesion_jpeg


@dataclass
class Pipeline:
    """Drives the pages as the clinician and the reviewer would."""

    client: Any
    state: Any

    async def upload(
        self, files: list[tuple[str, bytes, str]], path: str = "/compose", page: str = "/compose"
    ) -> Any:
        token = await csrf_token(self.client, page)
        body, content_type = multipart({"csrf_token": token}, [("images", *item) for item in files])
        response = await self.client.post(
            path, data=body, headers={"Content-Type": content_type, "Content-Length": str(len(body))}
        )
        await run_deid_jobs(self.state)  # the upload answered at once; the worker's turn
        return response

    async def new_draft(self, data: bytes) -> str:
        response = await self.upload([("lesion.jpg", data, "image/jpeg")])
        assert response.status_code == 302, await response.get_data(as_text=True)
        return response.headers["Location"].rsplit("/", 1)[1]

    async def save(self, public_id: str, action: str = "submit", **fields: Any) -> Any:
        page = f"/compose/{public_id}"
        html = await (await self.client.get(page)).get_data(as_text=True)
        alt_fields = {name: "Dark lesion on the forearm" for name in re.findall(r'name="(alt_\d+)"', html)}
        form = {
            "title": "Irregular pigmented lesion",
            "caption": "Pigmented lesion on the forearm, 6 mm, irregular border. Thoughts?",
            "visibility": "public",
            "specialties": "dermatology",
            "free_tags": "#melanoma",
            "consent_method": "signed_form",
            "consent_date": date.today().isoformat(),
            "consent_obtained_by": "Dr Consenting Clinician",
            # The widest audience, so tests may pick any visibility; scope tests override it.
            "consent_audience": "public",
            **alt_fields,
            **fields,
            "action": action,
            "csrf_token": await csrf_token(self.client, page),
        }
        return await self.client.post(page, form={k: v for k, v in form.items() if v is not None})

    async def decide(self, public_id: str, decision: str, note: str = "") -> Any:
        token = await csrf_token(self.client, f"/review/{public_id}")
        return await self.client.post(
            f"/review/{public_id}", form={"decision": decision, "note": note, "csrf_token": token}
        )


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it (several files may share a name)."""
    boundary = "----casesboundary7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, filename, data, kind in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
async def people(state):  # type: ignore[no-untyped-def]
    """clinician (verified professional), reviewer, viewer and a second clinician."""
    return {
        "clinician": await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True),
        "reviewer": await create_account(state, "reviewer", role=Role.REVIEWER),
        "viewer": await create_account(state, "viewer"),
        "colleague": await create_account(state, "colleague", role=Role.PROFESSIONAL, verified=True),
    }


@pytest.fixture
def login(app, state):  # type: ignore[no-untyped-def]
    """A fresh browser-like client (own cookies) signed in as ``username``; None: anonymous."""

    async def make(username: str | None) -> Pipeline:
        client = app.test_client()
        if username is not None:
            await sign_in(client, username)
        return Pipeline(client, state)

    return make


@dataclass
class RemoteFollower:
    """An allowed peer whose person follows ``clinician``: what it is sent is what federates."""

    state: Any

    async def activities(self, object_id: str) -> list[str]:
        """Types of the activities queued to the follower about ``object_id`` (oldest first)."""
        async with self.state.sessionmaker() as db:
            rows = await db.execute(
                select(Delivery.activity_type).where(Delivery.object_id == object_id).order_by(Delivery.id)
            )
            return list(rows.scalars())


@pytest.fixture
async def remote_follower(state, people) -> RemoteFollower:  # type: ignore[no-untyped-def]
    peer = FakePeer("remote.example", "alice")
    install_fake_network(state, [peer])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    async with state.transaction() as db:
        remote = await get_or_fetch_actor(db, state, peer.actor_uri)
        local = await get_local_actor_by_username(db, "clinician")
        assert local is not None
        db.add(
            Follow(
                follower_id=remote.id,
                followed_id=local.id,
                state="accepted",
                activity_uri=f"{peer.actor_uri}#f",
            )
        )
    return RemoteFollower(state)


@pytest.fixture
def submitted(login, people, jpeg):  # type: ignore[no-untyped-def]
    """A case composed and submitted by ``clinician``: (clinician pipeline, public id)."""

    async def make(**fields: Any) -> tuple[Pipeline, str]:
        clinician = await login("clinician")
        public_id = await clinician.new_draft(jpeg(text=fields.pop("burned_text", "")))
        response = await clinician.save(public_id, **fields)
        assert response.status_code == 302, await response.get_data(as_text=True)
        return clinician, public_id

    return make


@pytest.fixture
def encode_multipart():  # type: ignore[no-untyped-def]
    return multipart
