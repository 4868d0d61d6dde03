"""fediverse-pasture's ``verify_actor`` (PyPI ``fediverse-pasture``, code nobody here wrote) runs
against a served instance: its six test actors fetch our clinician's actor and post a ``Like``
to its inbox, each with a different set-up, and the results are what we intend.

The actors (fediverse_pasture.data_provider.generate):

| actor  | signs its POST | its own actor needs a signed GET | has preferredUsername |
|--------|----------------|----------------------------------|-----------------------|
| alice  | no             | no                               | yes                   |
| bob    | yes            | no                               | yes                   |
| claire | yes            | yes                              | yes                   |
| dean   | no             | no                               | no                    |
| emily  | yes            | no                               | no                    |
| frank  | yes            | yes                              | no                    |

What we intend, and where it differs from a permissive server:
- ``get_actor`` is true for everyone once the peer is allowed: our actors are public documents.
- ``post_inbox`` is false for alice and dean: an unsigned inbox POST gets 401 (pasture itself
  warns when alice's succeeds). It is true for bob, claire, emily and frank: we verify their
  signatures, fetching claire's and frank's keys with a signed GET by our instance actor, and
  an actor without ``preferredUsername`` is still an actor.
- Before an admin allows the pasture's host, every signed request from it (GET and POST) gets
  403 from the allow-list, so the signing actors see neither our actor nor our inbox, while
  unsigned readers (alice, dean) still read the public actor and still get 401 on POST. This is
  the deliberate difference from the open fediverse pasture expects: we are deny-by-default.
- WebFinger for ``acct:clinician@host`` names the same actor id (pasture's ``webfinger`` check).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.allow_list_cache import CACHE_SECONDS
from tests.interop.pasture import PastureVerifyActor
from tests.support.live import free_port
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

UNSIGNED = ("alice", "dean")
SIGNED = ("bob", "claire", "emily", "frank")


async def test_pasture_verify_actor_results_are_what_we_intend(live_instances, tmp_path: Path) -> None:  # noqa: F811
    pasture = PastureVerifyActor(free_port(), tmp_path / "pasture")
    a = await live_instances("a")
    await a.create_account("clinician", Role.PROFESSIONAL, verified=True)
    await a.start()
    await asyncio.to_thread(pasture.start)
    try:
        refused = (await asyncio.to_thread(pasture.verify, a.actor_url("clinician")))["result"]
        for name in UNSIGNED:
            assert refused[name] == {"get_actor": True, "post_inbox": False}, (name, refused)
        for name in SIGNED:
            assert refused[name] == {"get_actor": False, "post_inbox": False}, (name, refused)

        await a.allow_peer(pasture.host)
        # The served process sees an allow-list change made elsewhere within CACHE_SECONDS.
        await asyncio.sleep(CACHE_SECONDS + 0.5)
        answer = await asyncio.to_thread(pasture.verify, a.actor_url("clinician"))
        result = answer["result"]
        for name in UNSIGNED:
            assert result[name] == {"get_actor": True, "post_inbox": False}, (name, answer["messages"])
        for name in SIGNED:
            assert result[name] == {"get_actor": True, "post_inbox": True}, (name, answer["messages"])
        assert result["webfinger"] is True
        assert "Got 401 for unsigned POST" in answer["messages"]
    finally:
        await asyncio.to_thread(pasture.stop)
