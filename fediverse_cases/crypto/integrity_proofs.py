"""FEP-8b32 Object Integrity Proofs: ``DataIntegrityProof`` with cryptosuite ``eddsa-jcs-2022``.

Implements the W3C "Data Integrity EdDSA Cryptosuites v1.0" jcs algorithms:
proofConfig = proof options without ``proofValue``, carrying the document's ``@context``;
hashData = SHA-256(JCS(proofConfig)) || SHA-256(JCS(document without proof)); Ed25519 signature;
``proofValue`` = multibase base58btc. An HTTP signature proves who delivered a request; this
proves who wrote the object, so it survives forwarding. Stdlib and ``cryptography`` only.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from fediverse_cases.crypto.jcs import JcsError, canonicalize
from fediverse_cases.crypto.keys import (
    KeyFormatError,
    base58btc_decode,
    base58btc_encode,
    ed25519_public_from_multibase,
    load_ed25519_private_key,
)

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "DataIntegrityProof",
    "ProofError",
    "hash_data",
    "proofs_of",
    "sign_object",
    "verify_object",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"


class ProofError(ValueError):
    """An integrity proof is missing, malformed, of an unsupported kind, or does not verify."""


@dataclass(frozen=True, slots=True)
class DataIntegrityProof:
    verification_method: str
    created: str | None
    proof_purpose: str
    proof_value: str
    raw: dict[str, Any]


def _timestamp(created: datetime | str | None) -> str:
    if isinstance(created, str):
        return created
    moment = (created or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """SHA-256(JCS(proofConfig)) || SHA-256(JCS(document)), the bytes Ed25519 signs.

    ``document`` must not contain ``proof``; ``proof_options`` must not contain ``proofValue``.
    """
    config = dict(proof_options)
    if "@context" in document:
        config["@context"] = document["@context"]
    try:
        return hashlib.sha256(canonicalize(config)).digest() + hashlib.sha256(canonicalize(document)).digest()
    except JcsError as exc:
        raise ProofError(f"cannot canonicalize: {exc}") from exc


def sign_object(
    doc: dict[str, Any],
    verification_method: str,
    private_pem: str,
    created: datetime | str | None = None,
    *,
    share_nested: bool = False,
) -> dict[str, Any]:
    """A new dict: ``doc`` with a fresh eddsa-jcs-2022 ``proof`` (any existing proof replaced).
    ``share_nested``: the result shares ``doc``'s nested values instead of copying them, for a
    caller that serialises it at once (the outbox: a deep copy of the large ``@context`` per
    inbox was a third of a page fan-out's signing time)."""
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
        "created": _timestamp(created),
    }
    try:
        key = load_ed25519_private_key(private_pem)
    except KeyFormatError as exc:
        raise ProofError(str(exc)) from exc
    signature = key.sign(hash_data(unsecured, options))
    secured = dict(unsecured) if share_nested else copy.deepcopy(unsecured)
    secured["proof"] = {**options, "proofValue": "z" + base58btc_encode(signature)}
    return secured


def _parse_proof(raw: Any) -> DataIntegrityProof:
    if not isinstance(raw, dict):
        raise ProofError("malformed proof")
    if raw.get("type") != PROOF_TYPE:
        raise ProofError(f"unsupported proof type {raw.get('type')!r}")
    if raw.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"unsupported cryptosuite {raw.get('cryptosuite')!r}")
    if raw.get("proofPurpose") != PROOF_PURPOSE:
        raise ProofError("proofPurpose must be assertionMethod")
    vm, value = raw.get("verificationMethod"), raw.get("proofValue")
    if not isinstance(vm, str) or not vm:
        raise ProofError("missing verificationMethod")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("malformed proofValue")
    created = raw.get("created")
    return DataIntegrityProof(
        verification_method=vm,
        created=created if isinstance(created, str) else None,
        proof_purpose=PROOF_PURPOSE,
        proof_value=value,
        raw=raw,
    )


def proofs_of(doc: dict[str, Any]) -> list[DataIntegrityProof]:
    """The eddsa-jcs-2022 proofs on ``doc`` (a proof may be one object or a set); others skipped.

    Lets the caller see which ``verificationMethod`` to fetch before verifying.
    """
    raw = doc.get("proof")
    if raw is None:
        raise ProofError("missing proof")
    found: list[DataIntegrityProof] = []
    errors: list[str] = []
    for item in raw if isinstance(raw, list) else [raw]:
        try:
            found.append(_parse_proof(item))
        except ProofError as exc:
            errors.append(str(exc))
    if not found:
        raise ProofError(errors[0] if errors else "missing proof")
    return found


def _verify_one(doc: dict[str, Any], proof: DataIntegrityProof, public_multibase: str) -> None:
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {k: v for k, v in proof.raw.items() if k != "proofValue"}
    if "@context" in options:
        # The spec: the document's @context must start with the proof's, and the proof's wins.
        proof_ctx, doc_ctx = options.pop("@context"), unsecured.get("@context")
        p_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
        d_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if d_list[: len(p_list)] != p_list:
            raise ProofError("@context mismatch between proof and document")
        unsecured["@context"] = proof_ctx
    try:
        signature = base58btc_decode(proof.proof_value[1:])
        key = ed25519_public_from_multibase(public_multibase)
    except KeyFormatError as exc:
        raise ProofError(str(exc)) from exc
    if len(signature) != 64:
        raise ProofError("malformed proofValue")
    try:
        key.verify(signature, hash_data(unsecured, options))
    except InvalidSignature:
        raise ProofError("proof does not verify") from None


def verify_object(
    doc: dict[str, Any], public_multibase: str, verification_method: str | None = None
) -> DataIntegrityProof:
    """Verify ``doc``'s proof with an Ed25519 Multikey; raise ProofError, return the proof used.

    With ``verification_method``, only a proof naming that key is considered (the caller has
    checked that the key belongs to the activity's actor).
    """
    proofs = proofs_of(doc)
    if verification_method is not None:
        proofs = [p for p in proofs if p.verification_method == verification_method]
        if not proofs:
            raise ProofError("no proof by the expected verificationMethod")
    last = ProofError("proof does not verify")
    for proof in proofs:
        try:
            _verify_one(doc, proof, public_multibase)
        except ProofError as exc:
            last = exc
            continue
        return proof
    raise last
