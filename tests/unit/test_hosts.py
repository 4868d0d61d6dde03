"""Host normalisation and allow-list decisions."""

from __future__ import annotations

import pytest

from fediverse_cases.core.hosts import AllowList, InvalidHost, disallowed_hosts, host_of, normalize_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("B.Example", "b.example"),
        ("b.example.", "b.example"),
        ("b.example:443", "b.example"),
        ("b.example:80", "b.example"),
        ("b.example:8443", "b.example:8443"),
        ("127.0.0.1:8001", "127.0.0.1:8001"),
        ("[::1]:8001", "[::1]:8001"),
        ("::1", "[::1]"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("  b.example  ", "b.example"),
    ],
)
def test_normalize_host(raw: str, expected: str) -> None:
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "b.example/path",
        "user@b.example",
        "b.example:0",
        "b.example:99999",
        "b ex",
        "-bad.example",
        "[::1",
    ],
)
def test_normalize_host_rejects(raw: str) -> None:
    with pytest.raises(InvalidHost):
        normalize_host(raw)


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        ("https://B.example/users/bob", "b.example"),
        ("https://b.example:443/x", "b.example"),
        ("http://127.0.0.1:8001/inbox", "127.0.0.1:8001"),
        ("https://bücher.example/@x", "xn--bcher-kva.example"),
        ("https://[::1]:8443/x", "[::1]:8443"),
    ],
)
def test_host_of(iri: str, expected: str) -> None:
    assert host_of(iri) == expected


@pytest.mark.parametrize(
    "iri",
    [
        "ftp://b.example/x",
        "b.example/x",
        "https:///x",
        "https://good.example@evil.example/",
        "https://b.example:x/",
    ],
)
def test_host_of_rejects(iri: str) -> None:
    with pytest.raises(InvalidHost):
        host_of(iri)


ALLOW = AllowList.build(
    allowed=["b.example", "127.0.0.1:8002"], blocked=["evil.example"], local_hosts=["a.example"]
)


@pytest.mark.parametrize(
    ("host", "decision"),
    [
        ("a.example", "local"),
        ("b.example", "allowed"),
        ("B.EXAMPLE:443", "allowed"),
        ("sub.b.example", "not_allowed"),  # allows are exact
        ("127.0.0.1:8002", "allowed"),
        ("127.0.0.1:8003", "not_allowed"),  # the port is part of the host
        ("c.example", "not_allowed"),
        ("evil.example", "blocked"),
        ("x.evil.example", "blocked"),  # blocks cover subdomains
        ("not a host", "invalid"),
    ],
)
def test_allowlist_mode_decisions(host: str, decision: str) -> None:
    assert ALLOW.decide(host) == decision
    assert ALLOW.is_allowed(host) is (decision in ("local", "allowed"))


def test_default_is_deny_everything() -> None:
    assert not AllowList().is_allowed("b.example")
    assert AllowList().mode == "allowlist"


def test_open_mode_still_honours_blocks() -> None:
    open_list = AllowList.build(mode="open", blocked=["evil.example"])
    assert open_list.is_allowed("anyone.example")
    assert not open_list.is_allowed("a.evil.example")


def test_build_rejects_bad_input() -> None:
    with pytest.raises(InvalidHost):
        AllowList.build(allowed=["https://b.example/"])
    with pytest.raises(ValueError, match="unknown federation mode"):
        AllowList.build(mode="limited")  # type: ignore[arg-type]


def test_disallowed_hosts() -> None:
    iris = [
        "https://a.example/users/alice",
        "https://b.example/users/bob",
        "https://c.example/notes/1",
        "https://c.example/notes/2",
        "https://evil.example/x",
        "javascript:alert(1)",
    ]
    assert disallowed_hosts(ALLOW, iris) == ("c.example", "evil.example", "javascript:alert(1)")
    assert ALLOW.disallowed_hosts(iris[:2]) == ()
    assert ALLOW.is_iri_allowed("https://b.example/x")
    assert not ALLOW.is_iri_allowed("not an iri")
