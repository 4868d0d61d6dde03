"""The Mastodon-compatible client API and its OAuth 2 server.

``blueprint`` bundles the sub-blueprints (one module per resource) and adds the rate-limit
headers to every API response. Views authenticate with bearer tokens only (``auth.api_view``),
never with the session cookie, so they are CSRF-exempt by construction.
"""

from __future__ import annotations

from quart import Blueprint, Response, g

from fediverse_cases.web.api import (
    accounts,
    apps,
    errors,
    follow_requests,
    instance,
    media,
    notifications,
    oauth,
    polls,
    push,
    reports,
    review,
    search,
    settings_apps,
    status_edits,
    statuses,
    timelines,
)


async def rate_limit_headers(response: Response) -> Response:
    for name, value in (g.get("rate_limit_headers") or {}).items():
        response.headers.setdefault(name, value)
    return response


def build_blueprint() -> Blueprint:
    """A fresh API blueprint per app (blueprints are not shared between apps' lifetimes)."""
    api = Blueprint("api", __name__)
    errors.install(api)
    for module in (
        oauth,
        apps,
        settings_apps,
        instance,
        accounts,
        follow_requests,
        media,
        statuses,
        status_edits,
        polls,
        timelines,
        notifications,
        push,
        search,
        review,
        reports,
    ):
        api.register_blueprint(module.blueprint)
    api.after_app_request(rate_limit_headers)
    return api
