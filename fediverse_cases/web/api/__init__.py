"""The Mastodon-compatible client API and its OAuth 2 server.

``blueprint`` bundles the sub-blueprints (one module per resource) and adds the rate-limit
headers to every API response. Views authenticate with bearer tokens only (``auth.api_view``),
never with the session cookie, so they are CSRF-exempt by construction.
"""

from __future__ import annotations

import importlib

from quart import Blueprint, Response, g

from fediverse_cases.web.api import errors

SUB_MODULES: tuple[str, ...] = (
    "oauth",
    "apps",
    "settings_apps",
    "instance",
    "accounts",
    "media",
    "statuses",
    "timelines",
    "notifications",
    "search",
    "review",
    "reports",
)

blueprint = Blueprint("api", __name__)
errors.install(blueprint)

for _name in SUB_MODULES:
    blueprint.register_blueprint(importlib.import_module(f"fediverse_cases.web.api.{_name}").blueprint)


@blueprint.after_app_request
async def rate_limit_headers(response: Response) -> Response:
    for name, value in (g.get("rate_limit_headers") or {}).items():
        response.headers.setdefault(name, value)
    return response
