"""core.consent_scope and core.withdrawal_codes: the audience order and the code's shape,
normalization and hashing."""

from __future__ import annotations

import pytest

from fediverse_cases.core import consent_scope, withdrawal_codes


def test_visibility_stays_within_the_agreed_audience() -> None:
    assert consent_scope.NARROWEST == "local"
    assert consent_scope.within("local", "followers") and consent_scope.within("followers", "followers")
    assert not consent_scope.within("public", "followers") and not consent_scope.within("followers", "local")
    assert consent_scope.widens("local", "public") and not consent_scope.widens("public", "followers")
    assert not consent_scope.is_audience("everyone")
    with pytest.raises(ValueError):
        consent_scope.width("everyone")


def test_codes_are_unambiguous_forgiving_and_stored_hashed() -> None:
    codes = {withdrawal_codes.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert not set("".join(groups)) & set("0O1IL2Z5S8B")
    code = next(iter(codes))
    raw = withdrawal_codes.normalize(code)
    assert raw == code.replace("-", "")
    assert withdrawal_codes.normalize(f"  {code.lower().replace('-', ' ')} ") == raw
    assert withdrawal_codes.normalize(code[:-1]) is None and withdrawal_codes.normalize("O" * 16) is None
    digest = withdrawal_codes.code_digest("s" * 32, raw)
    assert raw not in digest and digest != withdrawal_codes.code_digest("t" * 32, raw)
    assert withdrawal_codes.same(digest, withdrawal_codes.code_digest("s" * 32, raw))
    assert not withdrawal_codes.same("", "")
    salt = withdrawal_codes.new_salt()
    check = withdrawal_codes.check_digest("s" * 32, salt, "1960-01-01")
    assert check != withdrawal_codes.check_digest("s" * 32, withdrawal_codes.new_salt(), "1960-01-01")
