"""RFC 9421 HTTP Message Signatures, as Fedify sends them (``Signature-Input``/``Signature``,
label ``sig1``, ``rsa-v1_5-sha256``, RFC 9530 ``Content-Digest``).

Signing covers ``@method @target-uri @authority`` plus ``content-digest`` on bodies, with the
``created``, ``keyid`` and ``alg`` parameters. Parsing understands the small subset of RFC 8941
structured fields these headers need; component parameters (``;sf``, ``;key``, ``;req``...) are
refused rather than half-supported. Stdlib and ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from fediverse_cases.crypto.digest import (
    build_content_digest,
)
from fediverse_cases.crypto.keys import load_private_key
from fediverse_cases.crypto.signature_common import (
    BODY_METHODS,
    MAX_SIGNATURE_AGE,
    MAX_SIGNATURE_FUTURE,
    Algorithm,
    ParsedSignature,
    SignatureError,
    authority_of,
    check_signed_body_digest,
    check_window,
    http_date,
    lower_headers,
    parse_http_date,
    raw_sign,
    url_variants,
)

__all__ = ["parse_rfc9421", "sign_request_rfc9421"]

_ALGORITHMS: dict[str, Algorithm] = {
    "rsa-v1_5-sha256": "rsa-v1_5-sha256",
    "rsa-pss-sha512": "rsa-pss-sha512",
    "ed25519": "ed25519",
}
_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~:/0-9A-Za-z]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

Bare = str | int | float | bool | bytes


@dataclass(frozen=True, slots=True)
class _Member:
    value: Bare | list[tuple[Bare, dict[str, Bare]]]
    params: dict[str, Bare]
    raw: str  # the member's text after "label=", used verbatim as @signature-params


class _Parser:
    """Just enough of RFC 8941 to read a dictionary of inner lists or byte sequences."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def _fail(self) -> SignatureError:
        return SignatureError("malformed Signature-Input or Signature header")

    def _ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _match(self, pattern: re.Pattern[str]) -> str:
        m = pattern.match(self.s, self.i)
        if not m:
            raise self._fail()
        self.i = m.end()
        return m.group(0)

    def _bare(self) -> Bare:
        c = self._peek()
        if c == '"':
            self.i += 1
            out = []
            while True:
                c = self._peek()
                if not c:
                    raise self._fail()
                self.i += 1
                if c == "\\":
                    out.append(self._peek())
                    self.i += 1
                elif c == '"':
                    return "".join(out)
                else:
                    out.append(c)
        if c == ":":
            end = self.s.find(":", self.i + 1)
            if end < 0:
                raise self._fail()
            try:
                value = base64.b64decode(self.s[self.i + 1 : end], validate=True)
            except (binascii.Error, ValueError):
                raise self._fail() from None
            self.i = end + 1
            return value
        if c == "?":
            self.i += 2
            return self.s[self.i - 1] == "1"
        if c == "-" or c.isdigit():
            text = self._match(_NUMBER)
            return float(text) if "." in text else int(text)
        return self._match(_TOKEN)

    def _params(self) -> dict[str, Bare]:
        params: dict[str, Bare] = {}
        while self._peek() == ";":
            self.i += 1
            self._ws()
            key = self._match(_KEY)
            value: Bare = True
            if self._peek() == "=":
                self.i += 1
                value = self._bare()
            params[key] = value
        return params

    def dictionary(self) -> dict[str, _Member]:
        out: dict[str, _Member] = {}
        self._ws()
        while self.i < len(self.s):
            key = self._match(_KEY)
            if self._peek() != "=":
                raise self._fail()
            self.i += 1
            start = self.i
            value: Bare | list[tuple[Bare, dict[str, Bare]]]
            if self._peek() == "(":
                self.i += 1
                items: list[tuple[Bare, dict[str, Bare]]] = []
                while True:
                    self._ws()
                    if self._peek() == ")":
                        self.i += 1
                        break
                    if not self._peek():
                        raise self._fail()
                    items.append((self._bare(), self._params()))
                value = items
            else:
                value = self._bare()
            params = self._params()
            out[key] = _Member(value, params, self.s[start : self.i])
            self._ws()
            if self.i < len(self.s):
                if self._peek() != ",":
                    raise self._fail()
                self.i += 1
                self._ws()
        return out


def _component(name: str, method: str, url: str, headers: dict[str, str]) -> str:
    parts = urlsplit(url)
    derived = {
        "@method": method,
        "@target-uri": url,
        "@authority": authority_of(url),
        "@scheme": parts.scheme.lower(),
        "@request-target": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        "@path": parts.path or "/",
        "@query": f"?{parts.query}",
    }
    if name.startswith("@"):
        if name not in derived:
            raise SignatureError(f"unsupported derived component {name}")
        return derived[name]
    if name not in headers:
        raise SignatureError(f"missing header {name}")
    return headers[name]


def _signature_base(
    components: list[str], params_raw: str, method: str, url: str, headers: dict[str, str]
) -> bytes:
    lines = [f'"{name}": {_component(name, method, url, headers)}' for name in components]
    lines.append(f'"@signature-params": {params_raw}')
    return "\n".join(lines).encode("utf-8")


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_pem: str,
    *,
    now: datetime | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers to add: ``Date``/``Host`` (informational), ``Content-Digest`` (bodies),
    ``Signature-Input`` and ``Signature``."""
    lower = lower_headers(headers)
    method = method.upper()
    now = now or datetime.now(UTC)
    out = {"Date": lower.get("date") or http_date(now), "Host": lower.get("host") or authority_of(url)}
    signed = dict(lower)
    components = ["@method", "@target-uri", "@authority"]
    if body is not None or method in BODY_METHODS:
        out["Content-Digest"] = signed["content-digest"] = build_content_digest(body or b"")
        components.append("content-digest")
    is_rsa = isinstance(load_private_key(private_pem), rsa.RSAPrivateKey)
    algorithm: Algorithm = "rsa-v1_5-sha256" if is_rsa else "ed25519"
    key_id_escaped = key_id.replace("\\", "\\\\").replace('"', '\\"')
    params_raw = (
        "(" + " ".join(f'"{c}"' for c in components) + ")"
        f';created={int(now.timestamp())};keyid="{key_id_escaped}";alg="{algorithm}"'
    )
    signature = raw_sign(private_pem, algorithm, _signature_base(components, params_raw, method, url, signed))
    out["Signature-Input"] = f"{label}={params_raw}"
    out["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return out


def parse_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_SIGNATURE_AGE,
    max_future: timedelta = MAX_SIGNATURE_FUTURE,
) -> ParsedSignature:
    lower = lower_headers(headers)
    method = method.upper()
    if "signature-input" not in lower:
        raise SignatureError("missing Signature-Input header")
    if "signature" not in lower:
        raise SignatureError("missing Signature header")
    inputs = _Parser(lower["signature-input"]).dictionary()
    signatures = _Parser(lower["signature"]).dictionary()
    # Prefer sig1 (Fedify's label), else the first input that has a matching signature.
    labels = sorted((k for k in inputs if k in signatures), key=lambda k: k != "sig1")
    if not labels:
        raise SignatureError("no Signature-Input label has a matching Signature")
    label = labels[0]
    member, sig_member = inputs[label], signatures[label]
    if not isinstance(member.value, list) or not isinstance(sig_member.value, bytes):
        raise SignatureError("malformed Signature-Input or Signature header")
    components: list[str] = []
    for item, item_params in member.value:
        if not isinstance(item, str):
            raise SignatureError("malformed component identifier")
        if item_params:
            raise SignatureError(f"unsupported component parameters on {item}")
        components.append(item.lower())
    params = member.params
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("missing keyid")
    alg = params.get("alg")
    if alg is not None and (not isinstance(alg, str) or alg not in _ALGORITHMS):
        raise SignatureError(f"unsupported algorithm {alg}")

    if "@method" not in components:
        raise SignatureError("method not signed")
    if not {"@target-uri", "@request-target", "@path"} & set(components):
        raise SignatureError("request-target not signed")
    if "@authority" not in components and "host" not in components and "@target-uri" not in components:
        raise SignatureError("host header not signed")
    if "created" not in params and "date" not in components:
        raise SignatureError("date not signed")

    if method in BODY_METHODS or body:
        check_signed_body_digest(components, lower, body, ("content-digest", "digest"))

    created: datetime | None = None
    if "created" in params:
        value = params["created"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise SignatureError("malformed created parameter")
        created = datetime.fromtimestamp(value, UTC)
        check_window(created, now, max_age, max_future)
    if "date" in components:
        if "date" not in lower:
            raise SignatureError("missing header date")
        date = parse_http_date(lower["date"])
        check_window(date, now, max_age, max_future)
        created = created or date
    assert created is not None
    expires = None
    if "expires" in params:
        if not isinstance(params["expires"], int):
            raise SignatureError("malformed expires parameter")
        expires = datetime.fromtimestamp(params["expires"], UTC)
        if expires < (now or datetime.now(UTC)):
            raise SignatureError("signature expired")

    bases = tuple(_signature_base(components, member.raw, method, u, lower) for u in url_variants(url))
    return ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=_ALGORITHMS[alg] if isinstance(alg, str) else "from-key",
        covered=tuple(components),
        created=created,
        expires=expires,
        signature=sig_member.value,
        signing_bases=bases,
        label=label,
    )
