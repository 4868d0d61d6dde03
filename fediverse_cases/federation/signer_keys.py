"""A verified signer's public keys as cached per process by keyId (``state.signer_keys``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignerKey:
    key_id: str
    actor_id: int
    actor_uri: str
    public_pem: str
    # The actor's Ed25519 assertion key, for integrity proofs on what this signer sends.
    ed25519_key_id: str = ""
    ed25519_multibase: str = ""
