"""ActivityStreams constants: contexts, the Public collection, our extension namespace. Stdlib only."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACTIVITY_JSON",
    "AS2_CONTEXT",
    "DATA_INTEGRITY_CONTEXT",
    "DEFAULT_CONTEXT",
    "FEDIVERSE_CASES_NS",
    "FEDIVERSE_CASES_PREFIX",
    "LD_JSON_PROFILE",
    "MULTIKEY_CONTEXT",
    "PUBLIC",
    "PUBLIC_ALIASES",
    "SECURITY_CONTEXT",
    "TOOT_NS",
    "ext",
    "normalize_public",
]

AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
TOOT_NS = "http://joinmastodon.org/ns#"

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# JSON-LD compaction lets peers write the Public collection in these short forms too.
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

# Our extension vocabulary. The IRI is an identifier, never dereferenced: it must not change,
# because peers compare expanded terms. Terms: verifiedProfessional, profession, consentOnFile,
# outcome (ConfirmedOutcome: diagnosis, code, codeSystem, certainty, confirmedBy, followUp, recordedAt),
# page (Page: urgency, group, case, question, escalated, escalates).
FEDIVERSE_CASES_NS = "https://fediverse-cases.example/ns#"
FEDIVERSE_CASES_PREFIX = "fediverseCases"


def ext(term: str) -> str:
    """The compact key of one of our extension terms, e.g. ``fediverseCases:profession``."""
    return f"{FEDIVERSE_CASES_PREFIX}:{term}"


# What we put in @context of everything we emit: AS2, the security vocabulary (publicKey),
# Multikey and Data Integrity (assertionMethod, proofs), plus the Mastodon extension terms we use
# and our own prefix, defined inline so no peer has to fetch anything.
DEFAULT_CONTEXT: list[Any] = [
    AS2_CONTEXT,
    SECURITY_CONTEXT,
    MULTIKEY_CONTEXT,
    DATA_INTEGRITY_CONTEXT,
    {
        FEDIVERSE_CASES_PREFIX: FEDIVERSE_CASES_NS,
        "toot": TOOT_NS,
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "discoverable": "toot:discoverable",
        "votersCount": "toot:votersCount",
        # A case's confirmed outcome (fediverseCases:outcome); the code system is an IRI.
        f"{FEDIVERSE_CASES_PREFIX}:codeSystem": {"@type": "@id"},
        f"{FEDIVERSE_CASES_PREFIX}:recordedAt": {"@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
        # A page (fediverseCases:page) names its group, its case and the page it escalates by id.
        f"{FEDIVERSE_CASES_PREFIX}:group": {"@type": "@id"},
        f"{FEDIVERSE_CASES_PREFIX}:case": {"@type": "@id"},
        f"{FEDIVERSE_CASES_PREFIX}:escalates": {"@type": "@id"},
        # GoToSocial's interaction policies (Mastodon 4.5 reads canQuote from them).
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "canAnnounce": {"@id": "gts:canAnnounce", "@type": "@id"},
        "canReply": {"@id": "gts:canReply", "@type": "@id"},
        "canLike": {"@id": "gts:canLike", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
        "always": {"@id": "gts:always", "@type": "@id"},
        "approvalRequired": {"@id": "gts:approvalRequired", "@type": "@id"},
    },
]


def normalize_public(iri: str) -> str:
    """Map the short forms of the Public collection to its full IRI; leave others untouched."""
    return PUBLIC if iri in PUBLIC_ALIASES else iri
