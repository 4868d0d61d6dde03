"""Digest (RFC 3230) and Content-Digest (RFC 9530) build and verify."""

from __future__ import annotations

import pytest

from fediverse_cases.crypto.digest import (
    DigestError,
    build_content_digest,
    build_digest,
    check_content_digest,
    check_digest,
    verify_content_digest,
    verify_digest,
)

BODY = b'{"hello": "world"}\n'


def test_known_values() -> None:
    # RFC 9530 section 2 example body and its sha-256 value.
    assert build_content_digest(BODY) == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    assert build_digest(BODY) == "SHA-256=RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="


def test_round_trips() -> None:
    assert verify_digest(build_digest(BODY), BODY)
    assert verify_content_digest(build_content_digest(BODY), BODY)


def test_algorithm_names_are_case_insensitive() -> None:
    assert verify_digest(build_digest(BODY).replace("SHA-256", "sha-256"), BODY)


def test_mismatch_fails() -> None:
    assert not verify_digest(build_digest(BODY), BODY + b" ")
    with pytest.raises(DigestError, match="digest mismatch"):
        check_content_digest(build_content_digest(BODY), b"other")


def test_unknown_algorithm_fails() -> None:
    with pytest.raises(DigestError, match="unsupported digest algorithm"):
        check_digest("MD5=Sd/dVLAcvNLSq16eXua5uQ==", BODY)
    assert not verify_content_digest("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", BODY)


def test_known_algorithm_mismatch_is_not_rescued_by_another() -> None:
    good = build_digest(BODY)
    with pytest.raises(DigestError, match="digest mismatch"):
        check_digest(f"{good}, SHA-512=AAAA", BODY)


def test_sha512_accepted() -> None:
    import base64
    import hashlib

    value = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    check_digest(f"SHA-512={value}", BODY)
    check_content_digest(f"sha-512=:{value}:", BODY)


@pytest.mark.parametrize("value", ["SHA-256", "SHA-256=!!!", ""])
def test_malformed_digest(value: str) -> None:
    assert not verify_digest(value, BODY)


@pytest.mark.parametrize("value", ["sha-256=abc", "sha-256=:abc", "sha-256"])
def test_malformed_content_digest(value: str) -> None:
    assert not verify_content_digest(value, BODY)
