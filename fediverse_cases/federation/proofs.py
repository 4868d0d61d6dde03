"""Object Integrity Proofs (FEP-8b32) on received activities, and the forwarded-activity rule.

An HTTP signature proves who delivered a request, not who wrote it. When the signer is not the
activity's author (inbox forwarding), the activity is trusted only with a valid eddsa-jcs-2022
proof by the author's own Ed25519 key (listed in the author's ``assertionMethod``); otherwise it
must be refetched from its origin. A proof that is present must verify in every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.crypto.integrity_proofs import ProofError, proofs_of, verify_object
from fediverse_cases.federation.dereference import FetchError, get_or_fetch_actor
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Actor


@dataclass(frozen=True)
class ForwardedVerdict:
    """``trusted``: the author's proof verifies. Otherwise fetch ``refetch`` from its origin."""

    trusted: bool
    refetch: tuple[str, ...] = ()
    reason: str = ""


def verify_proof_of(document: dict[str, Any], author: Actor) -> None:
    """Raise ProofError unless ``document`` carries a valid proof by ``author``'s Ed25519 key."""
    if not author.ed25519_key_id or not author.ed25519_public_multibase:
        raise ProofError("author publishes no Ed25519 assertion key")
    verify_object(document, author.ed25519_public_multibase, author.ed25519_key_id)


def has_proof(document: dict[str, Any]) -> bool:
    return "proof" in document


def proof_is_by(document: dict[str, Any], actor: Actor) -> bool:
    try:
        return any(p.verification_method == actor.ed25519_key_id for p in proofs_of(document))
    except ProofError:
        return False


def refetch_targets(activity: dict[str, Any]) -> tuple[str, ...]:
    """What to fetch from its origin instead of trusting a forwarded copy: the embedded object of
    a Create/Update (a Note is dereferenceable), otherwise the activity itself."""
    obj = activity.get("object")
    if activity.get("type") in ("Create", "Update") and isinstance(obj, dict) and id_of(obj):
        return (str(id_of(obj)),)
    return (str(activity.get("id")),) if isinstance(activity.get("id"), str) else ()


async def authenticate_forwarded(
    db: AsyncSession, state: FederationState, activity: dict[str, Any]
) -> ForwardedVerdict:
    """For an activity delivered by someone other than its ``actor``: trusted with the author's
    valid proof, otherwise to be refetched from its origin."""
    author_iri = id_of(activity.get("actor"))
    if not author_iri:
        return ForwardedVerdict(False, (), "activity has no actor")
    if has_proof(activity):
        try:
            author = await get_or_fetch_actor(db, state, author_iri)
            verify_proof_of(activity, author)
            return ForwardedVerdict(True)
        except (FetchError, ProofError) as error:
            return ForwardedVerdict(False, refetch_targets(activity), f"author proof not usable: {error}")
    return ForwardedVerdict(False, refetch_targets(activity), "no proof by the author")
