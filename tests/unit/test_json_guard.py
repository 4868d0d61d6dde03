"""The guarded JSON loader refuses oversized, too-deep, duplicate-keyed or non-object bodies."""

from __future__ import annotations

import pytest

from fediverse_cases.activitypub.json_guard import JsonDocumentError, json_depth, load_json_document


def test_loads_an_object() -> None:
    assert load_json_document(b'{"type": "Note", "n": [1, {"a": null}]}') == {
        "type": "Note",
        "n": [1, {"a": None}],
    }


def test_accepts_str_and_bom() -> None:
    assert load_json_document('{"a": 1}') == {"a": 1}
    assert load_json_document(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_rejects_oversized_before_parsing() -> None:
    with pytest.raises(JsonDocumentError, match="document too large"):
        load_json_document(b'{"a": "' + b"x" * 2000 + b'"}', max_bytes=1000)


def test_rejects_deep_nesting_before_parsing() -> None:
    body = b'{"a":' * 40 + b"1" + b"}" * 40
    with pytest.raises(JsonDocumentError, match="nested too deeply"):
        load_json_document(body, max_depth=32)
    # Deep enough to blow the recursion limit if it were parsed: still a precise error.
    with pytest.raises(JsonDocumentError, match="nested too deeply"):
        load_json_document(b"[" * 100_000 + b"]" * 100_000, max_bytes=10**6)


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"content": "[[[[[[{{{{{{ \\" [[[[ "}'
    assert json_depth(text) == 1
    assert load_json_document(text.encode(), max_depth=1)["content"].startswith("[[[")


def test_depth_limit_is_inclusive() -> None:
    body = b'{"a":' * 5 + b"1" + b"}" * 5
    assert load_json_document(body, max_depth=5)
    with pytest.raises(JsonDocumentError):
        load_json_document(body, max_depth=4)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'"x"', "not a JSON object"),
        (b"{", "invalid JSON"),
        (b'{"a": NaN}', "NaN is not allowed"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"id": "a", "id": "b"}', "duplicate key"),
        (b"", "invalid JSON"),
    ],
)
def test_rejections(body: bytes, message: str) -> None:
    with pytest.raises(JsonDocumentError, match=message):
        load_json_document(body)
