"""A fake remote instance for federation tests: an actor with real keys that signs requests,
served through an injected ``httpx.MockTransport`` that records every outbound request.

Tests inject transports instead of patching: ``install_fake_network(state, peers)`` replaces the
state's transport with one whose client talks to these fake peers and whose resolver maps every
name to a public address (the SSRF guard is exercised with explicit resolvers in its own tests).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from fediverse_cases.activitypub.constants import ACTIVITY_JSON, DEFAULT_CONTEXT
from fediverse_cases.crypto.http_signatures import sign_request_cavage
from fediverse_cases.crypto.integrity_proofs import sign_object
from fediverse_cases.crypto.keys import generate_ed25519_keypair, generate_rsa_keypair
from fediverse_cases.federation.transport import Transport

_KEYS: dict[str, Any] = {}


def _cached_keys(name: str) -> tuple[Any, Any]:
    # RSA generation takes ~100 ms; tests reuse a few named key pairs.
    if name not in _KEYS:
        _KEYS[name] = (generate_rsa_keypair(), generate_ed25519_keypair())
    return _KEYS[name]  # type: ignore[no-any-return]


@dataclass
class FakePeer:
    host: str = "remote.example"
    username: str = "alice"
    scheme: str = "https"
    key_name: str = "default"
    verified: bool = True
    served: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rsa, self.ed = _cached_keys(f"{self.key_name}:{self.host}:{self.username}")

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def actor_uri(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_uri}#main-key"

    def rotate_key(self) -> None:
        self.key_name += "-rotated"
        self.rsa, self.ed = _cached_keys(f"{self.key_name}:{self.host}:{self.username}")

    def actor_document(self) -> dict[str, Any]:
        return {
            "@context": DEFAULT_CONTEXT,
            "id": self.actor_uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.title(),
            "inbox": f"{self.actor_uri}/inbox",
            "outbox": f"{self.actor_uri}/outbox",
            "followers": f"{self.actor_uri}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.actor_uri, "publicKeyPem": self.rsa.public_pem},
            "assertionMethod": [
                {
                    "id": f"{self.actor_uri}#ed25519-key",
                    "type": "Multikey",
                    "controller": self.actor_uri,
                    "publicKeyMultibase": self.ed.public_multibase,
                }
            ],
            "fediverseCases:verifiedProfessional": self.verified,
            "fediverseCases:profession": "Radiologist" if self.verified else None,
        }

    def activity(self, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {
            "@context": DEFAULT_CONTEXT,
            "id": f"{self.actor_uri}/activities/{uuid.uuid4().hex}",
            "type": kind,
            "actor": self.actor_uri,
            "object": obj,
            **extra,
        }

    def with_proof(self, document: dict[str, Any]) -> dict[str, Any]:
        return sign_object(document, f"{self.actor_uri}#ed25519-key", self.ed.private_pem)

    def signed_post(
        self,
        url: str,
        document: dict[str, Any] | bytes,
        *,
        now: datetime | None = None,
        key_id: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        headers = {"Content-Type": ACTIVITY_JSON}
        headers.update(
            sign_request_cavage(
                "POST", url, headers, body, key_id or self.key_id, self.rsa.private_pem, now=now
            )
        )
        return headers, body

    def signed_get(self, url: str) -> dict[str, str]:
        headers = {"Accept": ACTIVITY_JSON}
        headers.update(sign_request_cavage("GET", url, headers, None, self.key_id, self.rsa.private_pem))
        return headers


@dataclass
class FakeNetwork:
    peers: list[FakePeer]
    calls: list[httpx.Request] = field(default_factory=list)
    inbox_status: int = 202
    media: dict[str, bytes] = field(default_factory=dict)
    # Exact URL -> (status, JSON body): answers that win over everything else (e.g. copy-status).
    canned: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        url = str(request.url)
        if url in self.canned:
            status, document = self.canned[url]
            return httpx.Response(status, json=document)
        for peer in self.peers:
            if request.url.host != peer.host.split(":")[0]:
                continue
            if url.startswith(f"{peer.base}/.well-known/webfinger"):
                return httpx.Response(
                    200,
                    json={
                        "subject": f"acct:{peer.username}@{peer.host}",
                        "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": peer.actor_uri}],
                    },
                    headers={"Content-Type": "application/jrd+json"},
                )
            if request.method == "GET" and url.split("#")[0] == peer.actor_uri:
                return httpx.Response(
                    200, content=json.dumps(peer.actor_document()), headers={"Content-Type": ACTIVITY_JSON}
                )
            if request.method == "GET" and url in self.media:
                return httpx.Response(200, content=self.media[url], headers={"Content-Type": "image/jpeg"})
            if request.method == "GET" and url in peer.served:
                return httpx.Response(
                    200, content=json.dumps(peer.served[url]), headers={"Content-Type": ACTIVITY_JSON}
                )
            if request.method == "POST" and url.endswith("/inbox"):
                return httpx.Response(self.inbox_status)
        return httpx.Response(404)

    def requests_to(self, host: str) -> list[httpx.Request]:
        return [r for r in self.calls if r.url.host == host.split(":")[0]]

    def gets_of(self, url: str) -> int:
        return sum(1 for r in self.calls if r.method == "GET" and str(r.url) == url)


async def public_resolver(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def install_fake_network(state: Any, peers: list[FakePeer]) -> FakeNetwork:
    network = FakeNetwork(peers)
    client = httpx.AsyncClient(transport=httpx.MockTransport(network.handler), follow_redirects=False)
    state.transport = Transport(state.settings, state.allow_list, client=client, resolver=public_resolver)
    return network


async def deliver(client: Any, state: Any, peer: FakePeer, activity: dict[str, Any]) -> int:
    """POST ``activity`` signed by ``peer`` to the shared inbox, then step the inbox worker once.

    Returns the inbox's HTTP status; the activity has been processed when this returns.
    """
    from urllib.parse import urlsplit

    from fediverse_cases.federation import inbox_worker

    base = state.urls.base_url
    headers, body = peer.signed_post(f"{base}/inbox", activity)
    response = await client.post("/inbox", data=body, headers={**headers, "Host": urlsplit(base).netloc})
    await inbox_worker.run_once(state)
    return int(response.status_code)
