"""The inbox: accept only. Size cap -> parse -> signature structure -> allow-list -> key and
signature -> integrity proof -> origin checks -> persist an inbox row (dedupe by id) -> 202.

Nothing here acts on an activity; the inbox worker does, so a slow handler never holds a peer's
request and a crash loses nothing. Status codes: 413 too large, 400 not a usable JSON activity,
401 unsigned or a signature that does not verify, 403 a signer or actor that is not allowed or
an activity failing the origin rules, 202 accepted (also for duplicates, ignored types and
activities dropped because they reference a host that is not allowed).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import UnsupportedType, VocabularyError, id_of
from fediverse_cases.activitypub.constants import PUBLIC_ALIASES
from fediverse_cases.activitypub.json_guard import DEFAULT_MAX_DEPTH, JsonDocumentError, load_json_document
from fediverse_cases.activitypub.registry import parse_activity
from fediverse_cases.core.hosts import AllowList
from fediverse_cases.crypto.http_signatures import SignatureError
from fediverse_cases.crypto.integrity_proofs import ProofError, proofs_of, verify_object
from fediverse_cases.federation.origin import check_activity_origin
from fediverse_cases.federation.proofs import authenticate_forwarded, has_proof
from fediverse_cases.federation.signers import (
    NotAllowed,
    SignerKey,
    check_signer_allowed,
    parse_request_signature,
    verify_with_rotation,
)
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow

log = logging.getLogger(__name__)

MAX_INBOX_BYTES = 256 * 1024
MAX_INBOX_DEPTH = min(DEFAULT_MAX_DEPTH, 16)
_IRI_KEYS = ("id", "actor", "attributedTo", "inReplyTo", "target", "context")


@dataclass(frozen=True)
class InboxResult:
    status: int
    message: str
    stored: bool = False
    row: dict[str, Any] | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, str]:
        return {"status": "accepted" if self.status == 202 else "error", "message": self.message}


def referenced_iris(activity: dict[str, Any]) -> list[str]:
    """The IRIs an activity names that we might later fetch or act on (audiences excluded: they
    list collections, and Public). Nested objects are looked at one level down."""
    found: list[str] = []

    def take(node: Any, depth: int) -> None:
        if isinstance(node, str):
            if node not in PUBLIC_ALIASES:
                found.append(node)
            return
        if not isinstance(node, dict) or depth > 2:
            return
        for key in _IRI_KEYS:
            value = node.get(key)
            if isinstance(value, str):
                take(value, depth)
            elif isinstance(value, dict):
                ref = id_of(value)
                if ref:
                    take(ref, depth)
        take(node.get("object"), depth + 1)

    take(activity, 0)
    return found


def _not_allowed_references(allow_list: AllowList, iris: list[str]) -> tuple[str, ...]:
    return allow_list.disallowed_hosts(i for i in iris if i.startswith(("http://", "https://")))


async def receive(
    state: FederationState,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> InboxResult:
    """Run the inbox pipeline for one request; see the module docstring."""
    if len(body) > MAX_INBOX_BYTES:
        return InboxResult(413, f"body larger than {MAX_INBOX_BYTES} bytes")
    try:
        data = load_json_document(body, max_bytes=MAX_INBOX_BYTES, max_depth=MAX_INBOX_DEPTH)
    except JsonDocumentError as error:
        return InboxResult(400, str(error))
    try:
        parsed_signature = parse_request_signature(state, method, url, headers, body)
    except SignatureError as error:
        return InboxResult(401, f"signature: {error}")
    async with state.sessionmaker() as db:
        try:
            await check_signer_allowed(state, parsed_signature.key_id, db)
        except NotAllowed as error:
            return InboxResult(403, str(error))
        allow_list = await state.allow_list.current(db)
        actor_iri = id_of(data.get("actor"))
        if not actor_iri or not allow_list.is_iri_allowed(actor_iri):
            return InboxResult(403, "the activity's actor is not on an allowed peer")
        refused = _not_allowed_references(allow_list, referenced_iris(data))
        if refused:
            log.info("dropped %s: references hosts not allowed: %s", data.get("id"), ", ".join(refused))
            return InboxResult(202, "dropped: references a host that is not an allowed peer")
        try:
            activity = parse_activity(data)
        except UnsupportedType as error:
            log.info("ignored activity of unsupported type: %s", error)
            return InboxResult(202, "ignored: unsupported activity type")
        except VocabularyError as error:
            return InboxResult(400, f"not a usable activity: {error}")
        try:
            signer = await verify_with_rotation(db, state, parsed_signature)
        except SignatureError as error:
            return InboxResult(401, f"signature: {error}")
        # The payload stored is the body as received (already checked to be this JSON object).
        result = await _authorise(db, state, data, activity, signer, body.decode("utf-8-sig"))
        # Whatever was learnt on the way (a fetched actor) must be committed before the item
        # that references it is written by the batch writer on another connection.
        if db.in_transaction():
            await db.commit()
    if result.stored:
        inserted = await state.inbox_writer.add(result.row)
        result = InboxResult(202, "accepted" if inserted else "duplicate", stored=inserted)
        if inserted:
            state.wake.inbox.set()
    return result


async def _authorise(
    db: AsyncSession,
    state: FederationState,
    data: dict[str, Any],
    activity: Any,
    signer: SignerKey,
    payload: str,
) -> InboxResult:
    """Proof and origin checks; on success the result carries the inbox row to write."""
    forwarded = signer.actor_uri != activity.actor
    refetch: tuple[str, ...] = ()
    if forwarded:
        verdict = await authenticate_forwarded(db, state, data)
        refetch = verdict.refetch
        # Without the author's proof only a forwarded Create/Update is kept, and then only to
        # refetch its object from the origin; anything else must come from its actor.
        if not verdict.trusted and (activity.TYPE not in ("Create", "Update") or not refetch):
            return InboxResult(403, f"signer is not the activity's actor ({verdict.reason})")
        decision = check_activity_origin(activity, activity.actor)
    else:
        if has_proof(data) and signer.ed25519_key_id:
            # A proof by the actor's own key must hold (the key is cached with the signer's).
            try:
                if any(p.verification_method == signer.ed25519_key_id for p in proofs_of(data)):
                    verify_object(data, signer.ed25519_multibase, signer.ed25519_key_id)
            except ProofError as error:
                return InboxResult(401, f"integrity proof: {error}")
        decision = check_activity_origin(activity, signer.actor_uri)
    if decision.verdict == "reject":
        return InboxResult(403, f"origin: {decision.reason}")
    if decision.verdict == "refetch":
        refetch = tuple(dict.fromkeys((*refetch, *decision.refetch)))
    now = utcnow()
    row = {
        "activity_id": dedupe_key(activity.TYPE, activity.id, data),
        "activity_type": activity.TYPE,
        "signer_actor_id": signer.actor_id,
        "payload": payload,
        "forwarded": forwarded,
        "refetch": " ".join(refetch),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "received_at": now,
    }
    return InboxResult(202, "accepted", stored=True, row=row)


def dedupe_key(kind: str, activity_id: str, data: dict[str, Any]) -> str:
    """What makes two deliveries "the same activity". Usually its id; but Takahē (and others)
    reuse one Update id (``<post>/#update``) for every edit, so an Update is keyed by its id and
    a digest of its object: a replay is still a duplicate, a new edit is not."""
    if kind != "Update":
        return activity_id
    canonical = json.dumps(data.get("object"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{activity_id} sha256:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:32]}"
