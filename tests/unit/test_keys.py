"""Key generation, PEM loading, base58btc and FEP-521a Multikey encoding."""

from __future__ import annotations

import pytest

from fediverse_cases.crypto.keys import (
    KeyFormatError,
    base58btc_decode,
    base58btc_encode,
    ed25519_private_from_multibase,
    ed25519_public_from_multibase,
    ed25519_public_multibase,
    generate_ed25519_keypair,
    generate_rsa_keypair,
    load_rsa_public_key,
    rsa_public_pem,
)

# W3C vc-di-eddsa example key pair (also the eddsa-jcs-2022 test vector key).
SPEC_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (
            bytes.fromhex("00eb15231dfceb60925886b67d065299925915aeb172c06647"),
            "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
        ),
    ],
)
def test_base58btc_round_trip(raw: bytes, encoded: str) -> None:
    assert base58btc_encode(raw) == encoded
    assert base58btc_decode(encoded) == raw


def test_base58btc_rejects_invalid_characters() -> None:
    with pytest.raises(KeyFormatError):
        base58btc_decode("0OIl")


def test_rsa_keypair_pems_load_and_match() -> None:
    pair = generate_rsa_keypair()
    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert load_rsa_public_key(pair.public_pem).key_size == 2048
    assert rsa_public_pem(pair.private_pem) == pair.public_pem


def test_ed25519_keypair_multikey_round_trip() -> None:
    pair = generate_ed25519_keypair()
    assert pair.public_multibase.startswith("z6Mk")
    assert ed25519_public_multibase(pair.private_pem) == pair.public_multibase
    public = ed25519_public_from_multibase(pair.public_multibase)
    assert ed25519_public_multibase(public) == pair.public_multibase


def test_spec_secret_key_derives_spec_public_key() -> None:
    assert ed25519_public_multibase(ed25519_private_from_multibase(SPEC_SECRET)) == SPEC_PUBLIC


def test_multikey_rejects_wrong_codec_or_base() -> None:
    with pytest.raises(KeyFormatError):
        ed25519_public_from_multibase(SPEC_SECRET)  # a secret key is not a public Multikey
    with pytest.raises(KeyFormatError):
        ed25519_public_from_multibase("u" + SPEC_PUBLIC[1:])


def test_load_rejects_garbage_pem() -> None:
    with pytest.raises(KeyFormatError):
        load_rsa_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")
