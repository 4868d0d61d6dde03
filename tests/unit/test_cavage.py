"""draft-cavage HTTP signatures: sign, parse, verify, and every way a request can be wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fediverse_cases.crypto.cavage import _parse_params
from fediverse_cases.crypto.http_signatures import (
    SignatureError,
    parse_signature,
    sign_request_cavage,
    verify_parsed,
    verify_request,
)
from fediverse_cases.crypto.keys import RsaKeyPair

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
URL = "https://b.example/users/bob/inbox"
KEY_ID = "https://a.example/users/alice#main-key"
BODY = b'{"type":"Create","actor":"https://a.example/users/alice"}'
CT = {"Content-Type": "application/activity+json"}


def _signed_post(key: RsaKeyPair, url: str = URL, body: bytes = BODY, now: datetime = NOW) -> dict[str, str]:
    return {**CT, **sign_request_cavage("POST", url, CT, body, KEY_ID, key.private_pem, now=now)}


def test_post_round_trip(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    assert headers["Host"] == "b.example"
    assert headers["Digest"].startswith("SHA-256=")
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    parsed = verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    assert parsed.scheme == "cavage"
    assert parsed.key_id == KEY_ID
    assert parsed.covered == ("(request-target)", "host", "date", "digest")


def test_get_round_trip_signs_without_digest(rsa_key: RsaKeyPair) -> None:
    headers = sign_request_cavage("GET", URL, {}, None, KEY_ID, rsa_key.private_pem, now=NOW)
    assert "Digest" not in headers
    assert 'headers="(request-target) host date"' in headers["Signature"]
    verify_request("GET", URL, headers, None, rsa_key.public_pem, now=NOW)


def test_headers_in_any_case(rsa_key: RsaKeyPair) -> None:
    headers = {k.lower(): v for k, v in _signed_post(rsa_key).items()}
    verify_request("post", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    upper = {k.upper(): v for k, v in _signed_post(rsa_key).items()}
    verify_request("POST", URL, upper, BODY, rsa_key.public_pem, now=NOW)


def test_existing_date_and_host_are_kept(rsa_key: RsaKeyPair) -> None:
    given = {"Date": "Sun, 01 Mar 2026 11:59:00 GMT", "Host": "b.example"}
    out = sign_request_cavage("GET", URL, given, None, KEY_ID, rsa_key.private_pem, now=NOW)
    assert out["Date"] == given["Date"]
    verify_request("GET", URL, {**given, **out}, None, rsa_key.public_pem, now=NOW)


def test_non_default_port_in_host(rsa_key: RsaKeyPair) -> None:
    url = "http://127.0.0.1:8001/inbox"
    headers = sign_request_cavage("POST", url, {}, BODY, KEY_ID, rsa_key.private_pem, now=NOW)
    assert headers["Host"] == "127.0.0.1:8001"
    verify_request("POST", url, headers, BODY, rsa_key.public_pem, now=NOW)


def test_tampered_body_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    with pytest.raises(SignatureError, match="digest mismatch"):
        parse_signature("POST", URL, headers, BODY + b" ", now=NOW)


def test_tampered_digest_header_fails_signature(rsa_key: RsaKeyPair) -> None:
    from fediverse_cases.crypto.digest import build_digest

    other = b'{"type":"Delete"}'
    headers = {**_signed_post(rsa_key), "Digest": build_digest(other)}
    parsed = parse_signature("POST", URL, headers, other, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)


def test_missing_signature_header() -> None:
    with pytest.raises(SignatureError, match="missing Signature header"):
        parse_signature("POST", URL, {**CT, "Host": "b.example"}, BODY, now=NOW)


def test_authorization_signature_form_is_accepted(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def _forge(
    key: RsaKeyPair, covered: str, extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> dict[str, str]:
    """Sign an arbitrary covered list by hand (what a sloppy or hostile peer could send)."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from fediverse_cases.crypto.digest import build_digest
    from fediverse_cases.crypto.signature_common import http_date

    headers = {"Host": "b.example", "Date": http_date(NOW), "Digest": build_digest(BODY), **(extra or {})}
    lines = []
    for name in covered.split():
        value = "post /users/bob/inbox" if name == "(request-target)" else headers[name.title()]
        lines.append(f"{name}: {value}")
    private = serialization.load_pem_private_key(key.private_pem.encode(), None)
    sig = private.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{covered}",'
        f'signature="{base64.b64encode(sig).decode()}"'
    )
    for name in drop:
        headers.pop(name)
    return headers


def test_hand_forged_full_signature_verifies(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host date digest")
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_digest_not_covered_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host date")
    with pytest.raises(SignatureError, match="digest not covered"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_host_not_signed_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) date digest")
    with pytest.raises(SignatureError, match="host header not signed"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_date_not_signed_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host digest")
    with pytest.raises(SignatureError, match="date not signed"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_request_target_not_signed_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "host date digest")
    with pytest.raises(SignatureError, match="request-target not signed"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_missing_digest_header_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host date digest", drop=("Digest",))
    with pytest.raises(SignatureError, match="missing Digest header"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_missing_covered_date_header_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host date digest", drop=("Date",))
    with pytest.raises(SignatureError, match="missing header date"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_wrong_key_is_rejected(rsa_key: RsaKeyPair, other_rsa_key: RsaKeyPair) -> None:
    parsed = parse_signature("POST", URL, _signed_post(rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, other_rsa_key.public_pem, now=NOW)


def test_key_rotation_old_key_fails_new_key_passes(rsa_key: RsaKeyPair, other_rsa_key: RsaKeyPair) -> None:
    # The sender rotated to other_rsa_key; our cached copy is the old one. The inbox refetches
    # the key once on failure, then verifies with the new one.
    parsed = parse_signature("POST", URL, _signed_post(other_rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)
    verify_parsed(parsed, other_rsa_key.public_pem, now=NOW)


@pytest.mark.parametrize(
    ("signed_at", "ok"),
    [
        (NOW - timedelta(minutes=59), True),
        (NOW - timedelta(hours=1, seconds=1), False),
        (NOW - timedelta(days=2), False),
        (NOW + timedelta(minutes=4), True),
        (NOW + timedelta(minutes=6), False),
    ],
)
def test_clock_window(rsa_key: RsaKeyPair, signed_at: datetime, ok: bool) -> None:
    headers = _signed_post(rsa_key, now=signed_at)
    if ok:
        verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    else:
        with pytest.raises(SignatureError, match="date outside window"):
            parse_signature("POST", URL, headers, BODY, now=NOW)


def test_verify_parsed_rechecks_window(rsa_key: RsaKeyPair) -> None:
    parsed = parse_signature("POST", URL, _signed_post(rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError, match="date outside window"):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW + timedelta(hours=2))
    verify_parsed(parsed, rsa_key.public_pem, now=NOW + timedelta(hours=2), max_skew=timedelta(hours=3))


def test_malformed_date_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _forge(rsa_key, "(request-target) host date digest", extra={"Date": "yesterday"})
    with pytest.raises(SignatureError, match="malformed Date header"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_query_string_signed_with_query(rsa_key: RsaKeyPair) -> None:
    url = URL + "?page=2"
    headers = sign_request_cavage("GET", url, {}, None, KEY_ID, rsa_key.private_pem, now=NOW)
    verify_request("GET", url, headers, None, rsa_key.public_pem, now=NOW)


def test_query_string_signed_without_query(rsa_key: RsaKeyPair) -> None:
    # Some senders sign only the path; we receive the full URL and must still verify.
    headers = sign_request_cavage("GET", URL, {}, None, KEY_ID, rsa_key.private_pem, now=NOW)
    verify_request("GET", URL + "?page=2", headers, None, rsa_key.public_pem, now=NOW)


def test_different_path_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    parsed = parse_signature("POST", "https://b.example/inbox", headers, BODY, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)


def test_hs2019_is_accepted(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_unknown_algorithm_is_rejected(rsa_key: RsaKeyPair) -> None:
    headers = _signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hmac-sha256"')
    with pytest.raises(SignatureError, match="unsupported algorithm"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_ed25519_key_rejects_rsa_algorithm_claim(rsa_key: RsaKeyPair, ed_key) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    from fediverse_cases.crypto.keys import load_ed25519_private_key

    ed_public_pem = (
        load_ed25519_private_key(ed_key.private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    parsed = parse_signature("POST", URL, _signed_post(rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError, match="algorithm does not match key type"):
        verify_parsed(parsed, ed_public_pem, now=NOW)


def test_ed25519_signing_round_trip(ed_key) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    from fediverse_cases.crypto.keys import load_ed25519_private_key

    headers = sign_request_cavage("POST", URL, {}, BODY, KEY_ID, ed_key.private_pem, now=NOW)
    assert 'algorithm="hs2019"' in headers["Signature"]
    public_pem = (
        load_ed25519_private_key(ed_key.private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    verify_request("POST", URL, headers, BODY, public_pem, now=NOW)


@pytest.mark.parametrize(
    "value",
    ['keyId="x",signature="!!!",headers="(request-target) host date digest"', "garbage", 'keyId="x"'],
)
def test_malformed_signature_header(value: str) -> None:
    with pytest.raises(SignatureError):
        parse_signature("POST", URL, {"Signature": value}, BODY, now=NOW)


def test_mastodon_shaped_header_parses(rsa_key: RsaKeyPair) -> None:
    # Mastodon puts spaces nowhere and quotes every value; make sure order does not matter.
    headers = _signed_post(rsa_key)
    parts = headers["Signature"].split(",")
    headers["Signature"] = ",".join(reversed(parts))
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_quoted_values_are_unescaped_and_bare_values_kept() -> None:
    assert _parse_params('keyId="a\\"b\\\\c",algorithm=hs2019, headers="(request-target) host"') == {
        "keyId": 'a"b\\c',
        "algorithm": "hs2019",
        "headers": "(request-target) host",
    }
    with pytest.raises(SignatureError):
        _parse_params('keyId="unterminated\\"')
