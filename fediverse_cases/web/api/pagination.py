"""Mastodon pagination: ``limit``, ``max_id``, ``since_id``, ``min_id`` in; a ``Link`` header
with ``next`` (older) and ``prev`` (newer) out. Past the end is an empty list with 200."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from quart import Response, jsonify, request

from fediverse_cases.storage.repositories.id_pages import IdPage
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.state import app_state

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


def _id(text: str) -> int | None:
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 18 else None


async def id_page(default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT, divisor: int = 1) -> IdPage:
    """``divisor`` maps public ids to row ids (status ids are twice the case id)."""
    params = await read_params()

    def below(name: str) -> int | None:  # row id < ceil(public / divisor)  <=>  public id < given
        value = _id(params.get(name))
        return None if value is None else -(-value // divisor)

    def above(name: str) -> int | None:  # row id > floor(public / divisor)  <=>  public id > given
        value = _id(params.get(name))
        return None if value is None else value // divisor

    return IdPage(
        limit=params.get_int("limit", default_limit, low=1, high=max_limit),
        max_id=below("max_id"),
        since_id=above("since_id"),
        min_id=above("min_id"),
    )


def _url(**changes: str) -> str:
    base = app_state().settings.instance.base_url
    query = {key: value for key, value in request.args.items() if key not in ("max_id", "since_id", "min_id")}
    query.update(changes)
    return f"{base}{request.path}?{urlencode(query)}"


def paginated(body: Sequence[object], ids: Sequence[int], page: IdPage) -> Response:
    """``ids`` are the pagination keys of ``body`` in its order (newest first): ``next`` pages
    on from the last item, ``prev`` from the first, whatever the list is sorted by."""
    response = jsonify(list(body))
    if ids:
        links = [f'<{_url(max_id=str(ids[-1]))}>; rel="next"', f'<{_url(min_id=str(ids[0]))}>; rel="prev"']
        response.headers["Link"] = ", ".join(links)
    return response
