"""A live peer on loopback with the shapes a Takahē 0.11 server really has (see
``../shared/interop/takahe-0.11/README.md``): actor ids, inboxes and the instance actor end in a
slash (``/@doc@host/``, ``/inbox/``, ``/actor/``), and ``/inbox`` and ``/actor`` without the
slash answer 301. It serves its actor documents, signs GETs as its instance actor, and records
every request, so a test sees exactly which URLs our instance used.
"""

from __future__ import annotations

import json
from typing import Any

from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.crypto.http_signatures import sign_request_cavage
from fediverse_cases.crypto.keys import generate_rsa_keypair
from tests.support.http_peer import FakeHttpPeer, Received, Reply

CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class TakahePeer:
    def __init__(self, username: str = "doc") -> None:
        self.username = username
        self.http = FakeHttpPeer(self._answer)
        self.instance_key = generate_rsa_keypair()
        self.person_key = generate_rsa_keypair()

    async def start(self) -> TakahePeer:
        await self.http.start()
        return self

    async def stop(self) -> None:
        await self.http.stop()

    @property
    def host(self) -> str:
        return self.http.host

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor/"

    @property
    def person(self) -> str:
        return f"{self.base}/@{self.username}@{self.host}/"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox/"

    def _actor(self, uri: str, kind: str, name: str, pem: str) -> dict[str, Any]:
        return {
            "@context": CONTEXT,
            "id": uri,
            "type": kind,
            "preferredUsername": name,
            "inbox": f"{uri}inbox/",
            "outbox": f"{uri}outbox/",
            "followers": f"{uri}followers/",
            "endpoints": {"sharedInbox": self.shared_inbox},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem},
        }

    def _answer(self, path: str) -> Reply:
        documents = {
            "/actor/": self._actor(
                self.instance_actor, "Application", self.host, self.instance_key.public_pem
            ),
            f"/@{self.username}@{self.host}/": self._actor(
                self.person, "Person", self.username, self.person_key.public_pem
            ),
        }
        if path in documents:
            body = json.dumps(documents[path]).encode()
            return Reply(200, {"Content-Type": ACTIVITY_JSON}, body=body)
        if path in ("/inbox", "/actor"):
            return Reply(301, {"Location": f"{path}/"})
        if path.endswith("/inbox/"):
            return Reply(202)
        return Reply(404)

    def signed_get(self, url: str) -> dict[str, str]:
        """Headers of a GET signed by the instance actor, as Takahē fetches objects."""
        headers = {"Accept": ACTIVITY_JSON}
        headers.update(
            sign_request_cavage(
                "GET", url, headers, None, f"{self.instance_actor}#main-key", self.instance_key.private_pem
            )
        )
        return headers

    def posts(self) -> list[Received]:
        return [r for r in self.http.received if r.method == "POST"]

    def activities_received(self) -> list[tuple[str, dict[str, Any]]]:
        return [(r.path, json.loads(r.body)) for r in self.posts()]
