"""RFC 9421 HTTP message signatures (Fedify's first knock): sign, parse, verify, reject."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from fediverse_cases.crypto.digest import build_content_digest, build_digest
from fediverse_cases.crypto.http_signatures import (
    SignatureError,
    parse_signature,
    sign_request_rfc9421,
    verify_parsed,
    verify_request,
)
from fediverse_cases.crypto.keys import RsaKeyPair

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
URL = "https://b.example/users/bob/inbox"
KEY_ID = "https://a.example/users/alice#main-key"
BODY = b'{"type":"Create","actor":"https://a.example/users/alice"}'


def _signed(key: RsaKeyPair, method: str = "POST", url: str = URL, body: bytes | None = BODY, now=NOW):  # type: ignore[no-untyped-def]
    return sign_request_rfc9421(method, url, {}, body, KEY_ID, key.private_pem, now=now)


def _forge(key: RsaKeyPair, components: list[str], params: str, headers: dict[str, str], url: str = URL):  # type: ignore[no-untyped-def]
    """Build a signature by hand, as another implementation might."""
    values = {
        "@method": "POST",
        "@target-uri": url,
        "@authority": "b.example",
        "@path": "/users/bob/inbox",
        **{k.lower(): v for k, v in headers.items()},
    }
    inner = "(" + " ".join(f'"{c}"' for c in components) + ")" + params
    base = "\n".join([*(f'"{c}": {values[c]}' for c in components), f'"@signature-params": {inner}'])
    private = serialization.load_pem_private_key(key.private_pem.encode(), None)
    sig = private.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    return {
        **headers,
        "Signature-Input": f"sig1={inner}",
        "Signature": f"sig1=:{base64.b64encode(sig).decode()}:",
    }


def _params(created: datetime = NOW) -> str:
    return f';created={int(created.timestamp())};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'


def test_post_round_trip_matches_fedify_shape(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key)
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "@authority" "content-digest")'
    )
    assert (
        f';created={int(NOW.timestamp())};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
        in headers["Signature-Input"]
    )
    assert headers["Content-Digest"] == build_content_digest(BODY)
    parsed = verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    assert parsed.scheme == "rfc9421"
    assert parsed.label == "sig1"
    assert parsed.key_id == KEY_ID
    assert parsed.created == NOW


def test_get_round_trip(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key, method="GET", body=None)
    assert "content-digest" not in headers["Signature-Input"]
    verify_request("GET", URL, headers, None, rsa_key.public_pem, now=NOW)


def test_lower_case_headers(rsa_key: RsaKeyPair) -> None:
    headers = {k.lower(): v for k, v in _signed(rsa_key).items()}
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_tampered_body(rsa_key: RsaKeyPair) -> None:
    with pytest.raises(SignatureError, match="digest mismatch"):
        parse_signature("POST", URL, _signed(rsa_key), b"{}", now=NOW)


def test_missing_signature_header(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key)
    del headers["Signature"]
    with pytest.raises(SignatureError, match="missing Signature header"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_missing_content_digest_header(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key)
    del headers["Content-Digest"]
    with pytest.raises(SignatureError, match="missing Content-Digest header"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_digest_not_covered(rsa_key: RsaKeyPair) -> None:
    headers = _forge(
        rsa_key,
        ["@method", "@target-uri", "@authority"],
        _params(),
        {"Content-Digest": build_content_digest(BODY)},
    )
    with pytest.raises(SignatureError, match="digest not covered"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_legacy_digest_header_covered_is_accepted(rsa_key: RsaKeyPair) -> None:
    headers = _forge(
        rsa_key, ["@method", "@target-uri", "@authority", "digest"], _params(), {"Digest": build_digest(BODY)}
    )
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_host_not_signed(rsa_key: RsaKeyPair) -> None:
    headers = _forge(
        rsa_key,
        ["@method", "@path", "content-digest"],
        _params(),
        {"Content-Digest": build_content_digest(BODY)},
    )
    with pytest.raises(SignatureError, match="host header not signed"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_host_header_instead_of_authority_is_accepted(rsa_key: RsaKeyPair) -> None:
    headers = _forge(
        rsa_key,
        ["@method", "@path", "host", "content-digest"],
        _params(),
        {"Host": "b.example", "Content-Digest": build_content_digest(BODY)},
    )
    verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)


def test_no_created_and_no_date(rsa_key: RsaKeyPair) -> None:
    headers = _forge(
        rsa_key,
        ["@method", "@target-uri", "content-digest"],
        f';keyid="{KEY_ID}"',
        {"Content-Digest": build_content_digest(BODY)},
    )
    with pytest.raises(SignatureError, match="date not signed"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_component_parameters_are_refused(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace('"content-digest"', '"content-digest";sf')
    with pytest.raises(SignatureError, match="unsupported component parameters"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_wrong_key(rsa_key: RsaKeyPair, other_rsa_key: RsaKeyPair) -> None:
    parsed = parse_signature("POST", URL, _signed(rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, other_rsa_key.public_pem, now=NOW)


def test_key_rotation(rsa_key: RsaKeyPair, other_rsa_key: RsaKeyPair) -> None:
    parsed = parse_signature("POST", URL, _signed(other_rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)
    verify_parsed(parsed, other_rsa_key.public_pem, now=NOW)


@pytest.mark.parametrize(
    ("delta", "ok"),
    [
        (timedelta(minutes=-30), True),
        (timedelta(hours=-2), False),
        (timedelta(minutes=3), True),
        (timedelta(minutes=10), False),
    ],
)
def test_clock_window(rsa_key: RsaKeyPair, delta: timedelta, ok: bool) -> None:
    headers = _signed(rsa_key, now=NOW + delta)
    if ok:
        verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    else:
        with pytest.raises(SignatureError, match="date outside window"):
            parse_signature("POST", URL, headers, BODY, now=NOW)


def test_expired_signature(rsa_key: RsaKeyPair) -> None:
    expires = int((NOW - timedelta(seconds=1)).timestamp())
    headers = _forge(
        rsa_key,
        ["@method", "@target-uri", "content-digest"],
        _params(NOW - timedelta(minutes=1)) + f";expires={expires}",
        {"Content-Digest": build_content_digest(BODY)},
    )
    with pytest.raises(SignatureError, match="signature expired"):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_query_string_variants(rsa_key: RsaKeyPair) -> None:
    with_query = URL + "?a=1"
    verify_request(
        "GET", with_query, _signed(rsa_key, "GET", with_query, None), None, rsa_key.public_pem, now=NOW
    )
    # Signed without the query, received with it.
    verify_request("GET", with_query, _signed(rsa_key, "GET", URL, None), None, rsa_key.public_pem, now=NOW)


def test_other_target_uri_fails(rsa_key: RsaKeyPair) -> None:
    parsed = parse_signature("POST", "https://b.example/inbox", _signed(rsa_key), BODY, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)


def test_prefers_sig1_among_several_labels(rsa_key: RsaKeyPair) -> None:
    headers = _signed(rsa_key)
    headers["Signature-Input"] = 'other=("@method");created=1;keyid="x", ' + headers["Signature-Input"]
    headers["Signature"] = "other=:AAAA:, " + headers["Signature"]
    parsed = verify_request("POST", URL, headers, BODY, rsa_key.public_pem, now=NOW)
    assert parsed.label == "sig1"


@pytest.mark.parametrize(
    ("sig_input", "signature", "message"),
    [
        ('sig1=("@method"', "sig1=:AAAA:", "malformed"),
        ('sig1=("@method");created=1', "sig2=:AAAA:", "no Signature-Input label"),
        ('sig1=("@method" "@target-uri");created=1', "sig1=:AAAA:", "missing keyid"),
        ('sig1=("@method");created=1;keyid="k";alg="hmac-sha256"', "sig1=:AAAA:", "unsupported algorithm"),
    ],
)
def test_malformed_inputs(sig_input: str, signature: str, message: str) -> None:
    headers = {"Signature-Input": sig_input, "Signature": signature}
    with pytest.raises(SignatureError, match=message):
        parse_signature("POST", URL, headers, BODY, now=NOW)


def test_fedify_rsa_pss_alg_name_is_understood(rsa_key: RsaKeyPair) -> None:
    # Another implementation declaring rsa-pss-sha512 over a PKCS#1 v1.5 signature must fail.
    headers = _signed(rsa_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace("rsa-v1_5-sha256", "rsa-pss-sha512")
    parsed = parse_signature("POST", URL, headers, BODY, now=NOW)
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_parsed(parsed, rsa_key.public_pem, now=NOW)


# RFC 9421 appendix B.2.6 (test-key-ed25519 from B.1.4): an independent check of our signature
# base construction and structured-field parsing.
B26_SEED = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)
B26_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
    "Signature-Input": B26_INPUT,
    "Signature": B26_SIGNATURE,
}
B26_URL = "https://example.com/foo?param=Value&Pet=dog"
B26_BODY = b'{"hello": "world"}'


def _b26_keys() -> tuple[str, str]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    seed = base64.urlsafe_b64decode(B26_SEED + "=")
    private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def test_rfc9421_b26_signature_base_and_signature() -> None:
    from fediverse_cases.crypto.rfc9421 import _Parser, _signature_base
    from fediverse_cases.crypto.signature_common import lower_headers, raw_sign, raw_verify

    member = _Parser(B26_INPUT).dictionary()["sig-b26"]
    assert isinstance(member.value, list)
    components = [str(item) for item, _ in member.value]
    base = _signature_base(components, member.raw, "POST", B26_URL, lower_headers(B26_HEADERS))
    assert base == (
        b'"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n'
        b'"@authority": example.com\n"content-type": application/json\n"content-length": 18\n'
        b'"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
        b';created=1618884473;keyid="test-key-ed25519"'
    )
    private_pem, public_pem = _b26_keys()
    expected = _Parser(B26_SIGNATURE).dictionary()["sig-b26"].value
    assert raw_sign(private_pem, "ed25519", base) == expected  # Ed25519 is deterministic
    raw_verify(public_pem, "from-key", expected, (base,))  # type: ignore[arg-type]


def test_rfc9421_b26_is_refused_by_our_inbox_policy() -> None:
    # Structurally valid, but the body digest is not covered: an inbox must not accept it.
    with pytest.raises(SignatureError, match="digest not covered"):
        parse_signature("POST", B26_URL, B26_HEADERS, B26_BODY, now=datetime(2021, 4, 20, 2, 8, tzinfo=UTC))
