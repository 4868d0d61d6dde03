"""Small helpers for reading HTML form posts."""

from __future__ import annotations

from collections.abc import Iterable

from quart import request


async def form_fields(names: Iterable[str], *, max_length: int = 10_000) -> dict[str, str]:
    """The named fields as text, each cut to ``max_length`` so a huge field cannot blow up memory
    further down; validators still report the real limits to the person."""
    form = await request.form
    return {name: str(form.get(name, ""))[:max_length] for name in names}
