"""A specialty group across three real hospitals on loopback (FEP-1b12).

A hosts the dermatology group (created with the CLI); clinicians at A, B and C join it (Follow
and the group's Accept over HTTP). Bob at B posts a case to the group: B's reviewer approves it
as always, B delivers the Create to the group's inbox at A, A checks bob's membership and claim,
keeps the case and Announces bob's activity unchanged to the members' servers. Carol at C, who
does not follow bob, gets the case through the group: C verified bob's own integrity proof (it
never fetched the case from B) and shows it in the group and in carol's home feed. A moderator
at A removes the post; C hides it from the group. When consent is withdrawn at B, the group
relays B's Delete and C purges the case.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import (
    clinical_image,
    in_transaction,
    poll,
    query,
    remote_case,
)
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


async def join(instance: LiveInstance, username: str, group_url: str) -> None:
    from fediverse_cases.federation.dereference import get_or_fetch_actor
    from fediverse_cases.services import groups as group_service
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async def work(db: Any, state: Any) -> None:
        me = await get_local_actor_by_username(db, username)
        group = await get_or_fetch_actor(db, state, group_url)
        await group_service.join(db, state, me, group)

    await in_transaction(instance, work)


async def member(instance: LiveInstance, username: str, group_url: str) -> bool:
    from fediverse_cases.storage.repositories.accounts import get_actor_by_uri, get_local_actor_by_username
    from fediverse_cases.storage.repositories.groups import get_membership

    async def work(db: Any) -> bool:
        me = await get_local_actor_by_username(db, username)
        group = await get_actor_by_uri(db, group_url)
        follow = await get_membership(db, me.id, group.id) if me and group else None
        return follow is not None and follow.state == "accepted"

    return await query(instance, work)


async def group_post_state(instance: LiveInstance, group_url: str, object_id: str) -> str | None:
    from fediverse_cases.storage.repositories.accounts import get_actor_by_uri
    from fediverse_cases.storage.repositories.groups import get_post

    async def work(db: Any) -> str | None:
        group = await get_actor_by_uri(db, group_url)
        post = await get_post(db, group.id, object_id) if group else None
        return post.state if post else None

    return await query(instance, work)


async def test_a_case_at_b_reaches_members_at_a_and_c_through_the_group(live_instances) -> None:  # noqa: F811
    a = await live_instances("a")
    b = await live_instances("b", allow=[a.host])
    c = await live_instances("c", allow=[a.host, b.host])
    await a.allow_peer(b.host)
    await a.allow_peer(c.host)
    await b.allow_peer(c.host)
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    await b.create_account("bob", Role.PROFESSIONAL, verified=True)
    await c.create_account("carol", Role.PROFESSIONAL, verified=True)
    created = a.run_cli("groups", "create", "dermatology", "--name", "Dermatology", "--moderator", "alice")
    assert created.returncode == 0, created.stderr
    group_url = f"{a.url}/groups/dermatology"
    for instance in (a, b, c):
        # Three servers starting on a loaded 2-core machine: allow more than the default 30 s.
        await instance.start(timeout=180)

    # WebFinger finds the group like a person.
    async with httpx.AsyncClient() as http:
        finger = await http.get(
            f"{a.url}/.well-known/webfinger", params={"resource": f"acct:dermatology@{a.host}"}
        )
    assert finger.status_code == 200 and group_url in finger.text

    await join(a, "alice", group_url)
    await join(b, "bob", group_url)
    await join(c, "carol", group_url)
    for instance, name in ((a, "alice"), (b, "bob"), (c, "carol")):
        await poll(lambda i=instance, n=name: member(i, n, group_url), f"{name} accepted in the group")

    async def bob_posts() -> Any:
        from fediverse_cases.services.case_factory import create_published_case
        from fediverse_cases.storage.repositories.accounts import get_account_by_username, get_actor_by_uri

        async with b.state() as state:
            async with state.sessionmaker() as db:
                account = await get_account_by_username(db, "bob")
                group = await get_actor_by_uri(db, group_url)
            return await create_published_case(
                state,
                account,
                images=[clinical_image(7)],
                caption="Targetoid lesions on the palms after a cold sore",
                tags=["dermatology"],
                groups=[group.id],
            )

    case = await bob_posts()
    on_a = await poll(lambda: remote_case(a, case.ap_id), "bob's case at the group's home A")
    assert await poll(lambda: group_post_state(a, group_url, case.ap_id), "A announcing it") == "announced"
    on_c = await poll(lambda: remote_case(c, case.ap_id), "bob's case at C through the group")
    assert on_a.caption.startswith("Targetoid") and on_c.caption.startswith("Targetoid")
    assert await poll(lambda: group_post_state(c, group_url, case.ap_id), "C's group post") == "received"
    assert (
        await poll(lambda: group_post_state(b, group_url, case.ap_id), "B's copy of the Announce")
        == "received"
    )

    # C took the case on bob's own proof: nobody fetched the Note from B (A had it from bob
    # himself, C from the group's Announce). B's access log names every request it answered;
    # fetching the thread's context collection is allowed, the Note itself never was.
    public_id = case.ap_id.rsplit("/", 1)[-1]
    served = b.log_path.read_text(encoding="utf-8", errors="replace")
    assert f'"GET /cases/{public_id}" ' not in served

    # C does not follow bob: the group is why it has the case.
    async def carol_follows_bob(db: Any) -> bool:
        from sqlalchemy import select

        from fediverse_cases.storage.models import Actor, Follow

        bob = (await db.execute(select(Actor.id).where(Actor.uri == b.actor_url("bob")))).scalar_one()
        return (await db.execute(select(Follow.id).where(Follow.followed_id == bob))).first() is not None

    assert not await query(c, carol_follows_bob)

    # Carol sees it in her home feed at C (signed in over HTTP); anyone sees it on A's group page.
    import re

    from tests.support.instances import PASSWORD

    async with httpx.AsyncClient(base_url=c.url) as http:
        token = re.search(r'name="csrf_token" value="([^"]+)"', (await http.get("/login")).text)
        assert token
        signed_in = await http.post(
            "/login", data={"csrf_token": token.group(1), "username": "carol", "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        assert "Targetoid lesions" in (await http.get("/feed/following")).text
    async with httpx.AsyncClient() as http:
        assert "Targetoid lesions" in (await http.get(f"{a.url}/groups/dermatology")).text

    # A moderator removes the post: C hides it from the group.
    async def remove(db: Any, state: Any) -> None:
        from fediverse_cases.services import groups as group_service
        from fediverse_cases.services.operator import Operator
        from fediverse_cases.storage.repositories.accounts import get_actor_by_uri
        from fediverse_cases.storage.repositories.groups import get_post

        group = await get_actor_by_uri(db, group_url)
        post = await get_post(db, group.id, case.ap_id)
        assert await group_service.remove_post(db, state, group, post.id, Operator.system())

    await in_transaction(a, remove)

    async def hidden_at_c() -> bool:
        return await group_post_state(c, group_url, case.ap_id) == "removed"

    await poll(hidden_at_c, "C hiding the removed post")

    # The patient withdraws consent at B: B's Delete reaches the group's home, which relays it
    # (bob's activity, unchanged) to everyone it announced the case to; C purges its copy.
    async def withdraw(db: Any, state: Any) -> None:
        from fediverse_cases.services.operator import Operator
        from fediverse_cases.services.withdraw import withdraw_consent
        from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

        await withdraw_consent(db, state, await get_case_by_ap_id(db, case.ap_id), Operator.system())

    await in_transaction(b, withdraw)

    async def gone(instance: LiveInstance) -> bool:
        return await remote_case(instance, case.ap_id) is None

    await poll(lambda: gone(a), "the case purged at the group's home A")
    await poll(lambda: gone(c), "the case purged at C, reached through the group")
