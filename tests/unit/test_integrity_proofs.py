"""FEP-8b32 eddsa-jcs-2022 object integrity proofs, checked against the W3C test vector."""

from __future__ import annotations

import copy
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from fediverse_cases.crypto.integrity_proofs import ProofError, proofs_of, sign_object, verify_object
from fediverse_cases.crypto.jcs import canonicalize
from fediverse_cases.crypto.keys import Ed25519KeyPair, ed25519_private_from_multibase

# W3C "Data Integrity EdDSA Cryptosuites v1.0", eddsa-jcs-2022 test vector (Appendix A).
SPEC_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_DOC = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_VM = f"did:key:{SPEC_PUBLIC}#{SPEC_PUBLIC}"
SPEC_CREATED = "2023-02-24T23:36:38Z"
SPEC_DOC_HASH = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
SPEC_PROOF_VALUE = "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"

NOTE = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
    "id": "https://a.example/cases/1",
    "type": "Note",
    "attributedTo": "https://a.example/users/alice",
    "content": "<p>Incidental finding, 4.5 cm.</p>",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "fediverseCases:consentOnFile": True,
}
VM = "https://a.example/users/alice#ed25519-key"


def _spec_private_pem() -> str:
    key = ed25519_private_from_multibase(SPEC_SECRET)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_w3c_vector_document_hash() -> None:
    assert hashlib.sha256(canonicalize(SPEC_DOC)).hexdigest() == SPEC_DOC_HASH


def test_w3c_vector_proof_value() -> None:
    signed = sign_object(SPEC_DOC, SPEC_VM, _spec_private_pem(), created=SPEC_CREATED)
    assert signed["proof"]["proofValue"] == SPEC_PROOF_VALUE
    assert signed["proof"]["type"] == "DataIntegrityProof"
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signed["proof"]["proofPurpose"] == "assertionMethod"
    verify_object(signed, SPEC_PUBLIC)


def test_w3c_vector_verifies_with_context_in_proof() -> None:
    # The spec's secured example may carry @context inside the proof; both forms must verify.
    signed = sign_object(SPEC_DOC, SPEC_VM, _spec_private_pem(), created=SPEC_CREATED)
    signed["proof"]["@context"] = SPEC_DOC["@context"]
    verify_object(signed, SPEC_PUBLIC)


def test_round_trip(ed_key: Ed25519KeyPair) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    assert "proof" not in NOTE  # input untouched
    proof = verify_object(signed, ed_key.public_multibase, verification_method=VM)
    assert proof.verification_method == VM
    assert proofs_of(signed)[0].created is not None


def test_tampered_content_fails(ed_key: Ed25519KeyPair) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    signed["content"] = "<p>Something else</p>"
    with pytest.raises(ProofError, match="proof does not verify"):
        verify_object(signed, ed_key.public_multibase)


def test_tampered_proof_options_fail(ed_key: Ed25519KeyPair) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    signed["proof"]["verificationMethod"] = "https://evil.example/users/mallory#ed25519-key"
    with pytest.raises(ProofError, match="proof does not verify"):
        verify_object(signed, ed_key.public_multibase)


def test_wrong_key_fails(ed_key: Ed25519KeyPair, other_ed_key: Ed25519KeyPair) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    with pytest.raises(ProofError, match="proof does not verify"):
        verify_object(signed, other_ed_key.public_multibase)


def test_missing_proof() -> None:
    with pytest.raises(ProofError, match="missing proof"):
        verify_object(NOTE, SPEC_PUBLIC)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "Ed25519Signature2020", "unsupported proof type"),
        ("cryptosuite", "eddsa-rdfc-2022", "unsupported cryptosuite"),
        ("proofPurpose", "authentication", "proofPurpose"),
        ("proofValue", "uAAAA", "malformed proofValue"),
        ("proofValue", "z111", "malformed proofValue"),
    ],
)
def test_unsupported_or_malformed_proofs(
    ed_key: Ed25519KeyPair, field: str, value: str, message: str
) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    signed["proof"][field] = value
    with pytest.raises(ProofError, match=message):
        verify_object(signed, ed_key.public_multibase)


def test_proof_set_with_one_good_proof(ed_key: Ed25519KeyPair, other_ed_key: Ed25519KeyPair) -> None:
    first = sign_object(NOTE, "https://b.example/x#k", other_ed_key.private_pem)["proof"]
    second = sign_object(NOTE, VM, ed_key.private_pem)["proof"]
    doc = {**copy.deepcopy(NOTE), "proof": [first, second]}
    assert verify_object(doc, ed_key.public_multibase).verification_method == VM
    with pytest.raises(ProofError, match="no proof by the expected verificationMethod"):
        verify_object(doc, ed_key.public_multibase, verification_method="https://c.example/u#k")


def test_context_mismatch_between_proof_and_document(ed_key: Ed25519KeyPair) -> None:
    signed = sign_object(NOTE, VM, ed_key.private_pem)
    signed["proof"]["@context"] = ["https://other.example/ctx"]
    with pytest.raises(ProofError, match="@context mismatch"):
        verify_object(signed, ed_key.public_multibase)


def test_resigning_replaces_existing_proof(ed_key: Ed25519KeyPair) -> None:
    once = sign_object(NOTE, VM, ed_key.private_pem)
    twice = sign_object(once, VM, ed_key.private_pem)
    assert isinstance(twice["proof"], dict)
    verify_object(twice, ed_key.public_multibase)
