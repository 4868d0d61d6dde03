"""Two real instances on loopback federate over HTTP: B's clinician follows A's clinician by
handle, A accepts, both sides record the follow as accepted. A fourth instance that A does not
allow is refused both ways."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.crypto.http_signatures import sign_request_cavage
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.services.follow_remote import FollowError, follow_remote
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Actor, Follow
from fediverse_cases.storage.repositories.accounts import get_account_by_username, get_local_actor_by_username
from tests.support.instances import PASSWORD
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def wait_for(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not reached in time")


async def follow_states(instance: LiveInstance) -> list[str]:
    async with instance.state() as state, state.sessionmaker() as db:
        return [f.state for f in (await db.execute(select(Follow))).scalars()]


async def web_follow(instance: LiveInstance, username: str, handle: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=instance.url) as client:
        token = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
        login = await client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert login.status_code == 302, login.text
        token = CSRF.search((await client.get("/follow")).text).group(1)  # type: ignore[union-attr]
        return await client.post("/follow", data={"handle": handle, "csrf_token": token})


async def test_follow_across_two_instances_and_refusal_of_a_stranger(live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    d = await live_instances("d", prepare=False)
    a.allow, b.allow, d.allow = [b.host], [a.host], [a.host]
    for instance in (a, b, d):
        await instance.prepare()
        await instance.create_account("clinician", Role.PROFESSIONAL, verified=True)
    await asyncio.gather(a.start(), b.start(), d.start())

    response = await web_follow(b, "clinician", f"@clinician@{a.host}")
    assert response.status_code == 302, response.text
    await wait_for(lambda: _equals(follow_states(b), ["accepted"]))
    await wait_for(lambda: _equals(follow_states(a), ["accepted"]))
    async with a.state() as state, state.sessionmaker() as db:
        follower = (await db.execute(select(Actor).where(Actor.is_local.is_(False)))).scalar_one()
    assert follower.uri == b.actor_url("clinician") and follower.verified_professional

    # D is not on A's allow-list: its signed POST is refused, and A never delivers to it.
    async with d.state() as state, state.sessionmaker() as db:
        stranger = await get_local_actor_by_username(db, "clinician")
    assert stranger is not None
    body = json.dumps(
        {
            "id": f"{stranger.uri}#f1",
            "type": "Follow",
            "actor": stranger.uri,
            "object": a.actor_url("clinician"),
        }
    ).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request_cavage(
            "POST", f"{a.url}/inbox", headers, body, stranger.public_key_id, stranger.private_key_pem
        )
    )
    async with httpx.AsyncClient() as client:
        refused = await client.post(f"{a.url}/inbox", content=body, headers=headers)
    assert refused.status_code == 403

    async with d.state() as state:  # D's own follow stops at its first step: A answers 403 to its
        # signed fetch of the actor (a refused host is not answered as if it were anonymous).
        account = await _account(state, "clinician")
        with pytest.raises(FollowError, match="403"):
            await follow_remote(state, account, f"@clinician@{a.host}", Operator.system())

    async with a.state() as state, state.transaction() as db:
        sender = await get_local_actor_by_username(db, "clinician")
        assert sender is not None
        written = await enqueue(
            db,
            state,
            activity={
                "id": f"{sender.uri}#n1",
                "type": "Create",
                "actor": sender.uri,
                "object": f"{sender.uri}#o1",
            },
            sender=sender,
            inboxes=[f"{d.url}/inbox", f"{b.url}/inbox"],
        )
    assert written == 1  # only B's inbox: nothing is queued for D


async def _equals(awaitable, expected) -> bool:  # type: ignore[no-untyped-def]
    return await awaitable == expected


async def _account(state, username: str):  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return await get_account_by_username(db, username)
