"""`serve` defaults to one worker per core, and the database pools are shared out among the
workers so that all of them together stay within `[database] max_connections`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fediverse_cases.services.state import AppState
from fediverse_cases.settings import SettingsError, settings_from_mapping


def _settings(tmp_path: Path, server: dict, database: dict | None = None):  # type: ignore[no-untyped-def]
    return settings_from_mapping(
        {
            "instance": {"name": "Sizing General", "base_url": "http://sizing.test"},
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", **(database or {})},
            "media": {"dir": str(tmp_path / "media"), "private_dir": str(tmp_path / "private")},
            "session": {"secret": "s" * 40},
            "server": server,
        }
    )


def test_serve_runs_one_worker_per_core_unless_configured(tmp_path: Path) -> None:
    assert _settings(tmp_path, {}).server.workers == (os.cpu_count() or 1)
    assert _settings(tmp_path, {"workers": 0}).server.workers == (os.cpu_count() or 1)
    assert _settings(tmp_path, {"workers": 3}).server.workers == 3
    with pytest.raises(SettingsError, match=r"server\.workers"):
        _settings(tmp_path, {"workers": -1})


@pytest.mark.parametrize(("workers", "kept", "overflow"), [(1, 10, 10), (2, 5, 5), (4, 2, 2), (16, 2, 2)])
async def test_pools_share_max_connections_among_workers(
    tmp_path: Path, workers: int, kept: int, overflow: int
) -> None:
    postgresql = {"url": "postgresql+asyncpg://cases@db.invalid/cases", "max_connections": 20}
    state = AppState.from_settings(_settings(tmp_path, {"workers": workers}, postgresql))
    try:
        pool = state.engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow) == (kept, overflow)  # type: ignore[attr-defined]
    finally:
        await state.close()
    # SQLite has no connection limit of its own: the same number, all kept open (an overflow
    # connection would be reopened, with its thread and PRAGMAs, on every busy moment).
    state = AppState.from_settings(_settings(tmp_path, {"workers": workers}, {"max_connections": 20}))
    try:
        pool = state.engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow) == (kept + overflow, 0)  # type: ignore[attr-defined]
    finally:
        await state.close()
