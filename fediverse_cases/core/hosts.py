"""Host names and the allow-list decision. Stdlib only, no I/O.

A host is compared in one normal form everywhere (inbound keyIds, deliveries, dereferencing,
media): ``host[:port]``, lower case, IDNA (punycode) for international names, no trailing dot,
and ports 80 and 443 dropped whatever the scheme (so an admin typing ``b.example:443`` means
``b.example``). Loopback peers in tests keep their explicit ports.

Matching: an allowed host matches exactly (a hospital allows one instance, not a whole domain);
a blocked host also blocks its subdomains (blocking ``evil.example`` blocks ``a.evil.example``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["AllowList", "HostDecision", "InvalidHost", "disallowed_hosts", "host_of", "normalize_host"]

_DEFAULT_PORTS = {80, 443}
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class InvalidHost(ValueError):
    """Not a usable host or http(s) IRI."""


# Every IRI of every activity is checked against the allow-list by its host, and a busy inbox
# sees the same few hosts again and again.
@functools.lru_cache(maxsize=4096)
def _normalize_name(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    if not name:
        raise InvalidHost("empty host")
    if name.startswith("[") and name.endswith("]"):  # IPv6 literal
        inner = name[1:-1]
        if not inner or not re.fullmatch(r"[0-9a-f:.]+", inner):
            raise InvalidHost(f"invalid IPv6 literal {name!r}")
        return name
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidHost(f"invalid international host {name!r}") from None
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise InvalidHost(f"invalid host {name!r}")
    return name


def normalize_host(value: str) -> str:
    """``host[:port]`` normal form; raise InvalidHost."""
    value = value.strip()
    if any(c in value for c in "/@?#\\ \t"):
        raise InvalidHost(f"invalid host {value!r}")
    port: int | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise InvalidHost(f"invalid host {value!r}")
        name, rest = value[: end + 1], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise InvalidHost(f"invalid host {value!r}")
            port = _port(rest[1:])
    elif value.count(":") == 1:
        name, port_text = value.split(":")
        port = _port(port_text)
    elif ":" in value:
        name = f"[{value}]"  # bare IPv6
    else:
        name = value
    name = _normalize_name(name)
    return name if port is None or port in _DEFAULT_PORTS else f"{name}:{port}"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InvalidHost(f"invalid port {text!r}")
    return int(text)


def host_of(iri: str) -> str:
    """The normalised host of an http(s) IRI; raise InvalidHost for anything else."""
    try:
        parts = urlsplit(iri.strip())
        port = parts.port
    except ValueError:
        raise InvalidHost(f"invalid IRI {iri!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidHost(f"not an http(s) IRI: {iri!r}")
    if parts.username is not None or parts.password is not None:
        # userinfo is a classic confusion trick (https://good.example@evil.example/).
        raise InvalidHost(f"IRI with userinfo: {iri!r}")
    name = parts.hostname
    if ":" in name:
        name = f"[{name}]"
    name = _normalize_name(name)
    return name if port is None or port in _DEFAULT_PORTS else f"{name}:{port}"


HostDecision = Literal["local", "allowed", "blocked", "not_allowed", "invalid"]


@dataclass(frozen=True)
class AllowList:
    """Which peers we federate with. Default mode "allowlist" denies every host not listed."""

    mode: Literal["allowlist", "open"] = "allowlist"
    allowed: frozenset[str] = field(default_factory=frozenset)
    blocked: frozenset[str] = field(default_factory=frozenset)
    local_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        *,
        mode: Literal["allowlist", "open"] = "allowlist",
        allowed: Iterable[str] = (),
        blocked: Iterable[str] = (),
        local_hosts: Iterable[str] = (),
    ) -> AllowList:
        """Construct from admin input, normalising every host (raises InvalidHost)."""
        if mode not in ("allowlist", "open"):
            raise ValueError(f"unknown federation mode {mode!r}")
        return cls(
            mode=mode,
            allowed=frozenset(normalize_host(h) for h in allowed),
            blocked=frozenset(normalize_host(h) for h in blocked),
            local_hosts=frozenset(normalize_host(h) for h in local_hosts),
        )

    def _is_blocked(self, host: str) -> bool:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        candidates = {host, name}
        parts = name.split(".")
        candidates.update(".".join(parts[i:]) for i in range(1, len(parts) - 1))
        return bool(candidates & self.blocked)

    def decide(self, host: str) -> HostDecision:
        try:
            host = normalize_host(host)
        except InvalidHost:
            return "invalid"
        if host in self.local_hosts:
            return "local"
        if self._is_blocked(host):
            return "blocked"
        if self.mode == "open" or host in self.allowed:
            return "allowed"
        return "not_allowed"

    def is_allowed(self, host: str) -> bool:
        """True for our own hosts and for peers we may talk to."""
        return self.decide(host) in ("local", "allowed")

    def is_iri_allowed(self, iri: str) -> bool:
        try:
            return self.is_allowed(host_of(iri))
        except InvalidHost:
            return False

    def disallowed_hosts(self, iris: Iterable[str]) -> tuple[str, ...]:
        return disallowed_hosts(self, iris)


def disallowed_hosts(allow_list: AllowList, iris: Iterable[str]) -> tuple[str, ...]:
    """Hosts among ``iris`` that are not allowed (sorted, unique). An IRI that is not a valid
    http(s) IRI is reported as itself, so a non-empty result always means "reject"."""
    bad: set[str] = set()
    for iri in iris:
        try:
            host = host_of(iri)
        except InvalidHost:
            bad.add(iri)
            continue
        if not allow_list.is_allowed(host):
            bad.add(host)
    return tuple(sorted(bad))
