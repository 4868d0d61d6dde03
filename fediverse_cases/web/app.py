"""The Quart application factory: ``create_app(settings)`` wires state, blueprints and hooks."""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

from quart import Quart, Response, g, request
from werkzeug.exceptions import HTTPException

from fediverse_cases.core.accounts import ROLE_LABELS, can_post_and_comment, can_review, is_admin
from fediverse_cases.settings import Settings
from fediverse_cases.web.auth import load_current_account
from fediverse_cases.web.csrf import init_csrf
from fediverse_cases.web.error_pages import init_error_pages, render_error_page
from fediverse_cases.web.observability import init_observability
from fediverse_cases.web.state import AppState

# Templates and static files ship inside this package (package data), beside this module.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Each module exposes ``blueprint``.
BLUEPRINT_MODULES: tuple[str, ...] = (
    "fediverse_cases.web.blueprints.pages",
    "fediverse_cases.web.blueprints.auth",
    "fediverse_cases.web.blueprints.profile",
    "fediverse_cases.web.blueprints.admin",
    "fediverse_cases.web.blueprints.compose",
    "fediverse_cases.web.blueprints.review",
    "fediverse_cases.web.blueprints.media",
    "fediverse_cases.web.blueprints.cases",
    "fediverse_cases.web.blueprints.feeds",
    "fediverse_cases.web.blueprints.activitypub",
    "fediverse_cases.web.blueprints.activitypub_objects",
    "fediverse_cases.web.blueprints.federation_admin",
    "fediverse_cases.web.api",
)
# Modules with ``setup(app, state)``: put services on the state, start workers in the lifespan.
SETUP_MODULES: tuple[str, ...] = (
    "fediverse_cases.web.setup_cases",
    "fediverse_cases.federation.setup",
    "fediverse_cases.federation.content_setup",
)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(settings: Settings, state: AppState | None = None) -> Quart:
    app = Quart(__name__, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    state = state or AppState.from_settings(settings)
    app.extensions["fediverse_cases"] = state
    app.config.update(
        SECRET_KEY=settings.session_secret,
        SESSION_COOKIE_NAME="fc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Browsers refuse Secure cookies over plain http (the demo); production uses https.
        SESSION_COOKIE_SECURE=settings.instance.uses_https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=settings.uploads.max_image_bytes * settings.uploads.max_images_per_case
        + 4 * 1024 * 1024,
        BODY_TIMEOUT=120,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(
        instance=settings.instance,
        role_labels=ROLE_LABELS,
        can_post_and_comment=can_post_and_comment,
        can_review=can_review,
        is_admin=is_admin,
    )
    init_csrf(app)
    app.before_request(load_current_account)

    @app.context_processor
    async def inject_account() -> dict[str, object]:
        return {"current_account": g.get("account")}

    @app.after_request
    async def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[str, int] | Response:
        if request.path.startswith(
            ("/api/", "/oauth/", "/.well-known/", "/inbox")
        ) or request.accept_mimetypes.best in (
            "application/json",
            "application/activity+json",
        ):
            return Response(
                f'{{"error": "{(error.description or error.name).replace(chr(34), chr(39))}"}}',
                status=error.code or 500,
                content_type="application/json",
            )
        return await render_error_page(error, settings.uploads)

    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).blueprint)
    for module_name in SETUP_MODULES:
        importlib.import_module(module_name).setup(app, state)
    init_observability(app, state)
    init_error_pages(app, settings.uploads)

    @app.after_serving
    async def dispose_engine() -> None:
        await state.close()

    return app
