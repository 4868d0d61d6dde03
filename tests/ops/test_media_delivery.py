"""The three ways image bytes leave (``[media] serve_mode``), on a real media folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from fediverse_cases.media.store import LocalMediaStore, parse_media_name
from fediverse_cases.settings import MediaServingSettings, SettingsError, load_settings
from fediverse_cases.web.media_delivery import media_response

KEY = "ab" + "0" * 30
HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@pytest.fixture
def store(tmp_path: Path) -> LocalMediaStore:
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{KEY}-full.png").write_bytes(b"\x89PNG fake")
    return LocalMediaStore(tmp_path)


def test_python_mode_sends_the_bytes(store: LocalMediaStore) -> None:
    response = media_response(
        MediaServingSettings("python"), store, parse_media_name(f"{KEY}-full.png"), HEADERS
    )
    assert response is not None
    assert response.get_data() == b"\x89PNG fake"
    assert response.content_type == "image/png"
    assert "X-Accel-Redirect" not in response.headers


def test_accel_mode_names_the_file_under_the_internal_prefix(store: LocalMediaStore) -> None:
    serving = MediaServingSettings("x-accel-redirect", "/_media_internal/")
    response = media_response(serving, store, parse_media_name(f"{KEY}-full.png"), HEADERS)
    assert response is not None
    assert response.get_data() == b""
    assert response.headers["X-Accel-Redirect"] == f"/_media_internal/ab/{KEY}-full.png"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sendfile_mode_names_the_absolute_path(store: LocalMediaStore) -> None:
    response = media_response(
        MediaServingSettings("x-sendfile"), store, parse_media_name(f"{KEY}-full.png"), HEADERS
    )
    assert response is not None
    assert response.headers["X-Sendfile"] == str(store.root / "ab" / f"{KEY}-full.png")


@pytest.mark.parametrize("mode", ["python", "x-accel-redirect", "x-sendfile"])
def test_a_missing_file_is_none_in_every_mode(store: LocalMediaStore, mode: str) -> None:
    name = parse_media_name(f"{KEY}-thumb.png")
    assert media_response(MediaServingSettings(mode), store, name, HEADERS) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FEDIVERSE_CASES_MEDIA_SERVE_MODE": "nginx"}, "media.serve_mode must be one of"),
        ({"FEDIVERSE_CASES_MEDIA_ACCEL_PREFIX": "media"}, "media.accel_prefix must look like"),
        ({"FEDIVERSE_CASES_LOGGING_ACCESS_LOG": "xml"}, "logging.access_log must be one of"),
        ({"FEDIVERSE_CASES_METRICS_TOKEN": "short"}, "metrics.token must be empty or at least 32"),
    ],
)
def test_bad_operations_settings_are_named(env: dict[str, str], message: str) -> None:
    example = Path(__file__).resolve().parents[2] / "fediverse_cases" / "instance_config" / "example.toml"
    with pytest.raises(SettingsError, match=message):
        load_settings(example, env=env)
