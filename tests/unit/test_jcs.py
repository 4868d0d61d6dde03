"""RFC 8785 canonicalisation, including its published examples."""

from __future__ import annotations

import json

import pytest

from fediverse_cases.crypto.jcs import JcsError, canonicalize, canonicalize_str, serialize_number


def test_rfc8785_section_3_2_2_example() -> None:
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize_str(json.loads(source)) == expected
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_rfc8785_sorting_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: "\u20ac" (euro) sorts after "\ud83d\ude00" (emoji, surrogate pair)
    # under UTF-16 ordering even though its code point is smaller.
    data = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\U0001f600": "Emoji: Grinning Face", "\x80": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}  # fmt: skip
    keys = list(json.loads(canonicalize_str(data)))
    assert keys == ["\r", "1", "\x80", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1, "1"),
        (-42, "-42"),
        (1.0, "1"),
        (4.5, "4.5"),
        (0.1, "0.1"),
        (0.002, "0.002"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e30, "1e+30"),
        (333333333.33333329, "333333333.3333333"),
        (9007199254740992, "9007199254740992"),
        (2**60, "1152921504606847000"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (-1.5, "-1.5"),
        (123456789.125, "123456789.125"),
    ],
)
def test_number_serialisation_matches_ecmascript(value: float, expected: str) -> None:
    assert serialize_number(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_rejected(value: float) -> None:
    with pytest.raises(JcsError):
        canonicalize({"x": value})


def test_non_json_types_rejected() -> None:
    with pytest.raises(JcsError):
        canonicalize({"x": {1, 2}})
    with pytest.raises(JcsError):
        canonicalize({1: "x"})


def test_nested_structures_and_no_whitespace() -> None:
    data = {"b": [1, {"d": None, "c": True}], "a": "x"}
    assert canonicalize_str(data) == '{"a":"x","b":[1,{"c":true,"d":null}]}'
