"""Driving the Quart test client like a browser: CSRF tokens from pages, signing in."""

from __future__ import annotations

import re
from typing import Any

from quart.typing import TestClientProtocol

from tests.support.instances import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_token(client: TestClientProtocol, page: str = "/login") -> str:
    response = await client.get(page)
    match = CSRF_RE.search(await response.get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


async def post_form(
    client: TestClientProtocol, path: str, data: dict[str, Any], *, page: str = "/login"
) -> Any:
    token = await csrf_token(client, page)
    return await client.post(path, form={**data, "csrf_token": token})


async def sign_in(client: TestClientProtocol, username: str, password: str = PASSWORD) -> None:
    response = await post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, await response.get_data(as_text=True)
