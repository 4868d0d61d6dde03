"""Shared fixtures for the pure unit tests: key pairs are slow to make, so make them once."""

from __future__ import annotations

import pytest

from fediverse_cases.crypto.keys import (
    Ed25519KeyPair,
    RsaKeyPair,
    generate_ed25519_keypair,
    generate_rsa_keypair,
)


@pytest.fixture(scope="session")
def rsa_key() -> RsaKeyPair:
    return generate_rsa_keypair()


@pytest.fixture(scope="session")
def other_rsa_key() -> RsaKeyPair:
    return generate_rsa_keypair()


@pytest.fixture(scope="session")
def ed_key() -> Ed25519KeyPair:
    return generate_ed25519_keypair()


@pytest.fixture(scope="session")
def other_ed_key() -> Ed25519KeyPair:
    return generate_ed25519_keypair()
