"""Pytest fixtures for live instances: ``live_instances`` is a factory that stops what it made.

    async def test_x(live_instances):
        a = await live_instances("a")
        b = await live_instances("b", allow=[a.host])
        await a.allow_peer(b.host)
        await a.start(); await b.start()

Use in a test module with ``from tests.support.live_fixtures import live_instances  # noqa: F401``.
The factory reserves the port first, so peers can be allowed before either instance exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveInstance, free_port

LiveFactory = Callable[..., Awaitable[LiveInstance]]


@pytest.fixture
async def live_instances(tmp_path: Path) -> AsyncIterator[LiveFactory]:
    made: list[LiveInstance] = []

    async def factory(
        name: str, *, port: int | None = None, prepare: bool = True, **kwargs: Any
    ) -> LiveInstance:
        instance = LiveInstance(name, port or free_port(), tmp_path / name, **kwargs)
        if prepare:
            await instance.prepare()
        made.append(instance)
        return instance

    yield factory
    await asyncio.gather(*(instance.stop() for instance in made))
