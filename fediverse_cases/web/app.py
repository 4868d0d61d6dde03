"""The Quart application factory: ``create_app(settings)`` builds the state, registers the
blueprints and runs the federation workers in the serving lifespan (when configured)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from quart import Quart, Response, g, request
from werkzeug.exceptions import HTTPException

from fediverse_cases.core.accounts import ROLE_LABELS, can_post_and_comment, can_review, is_admin
from fediverse_cases.core.audit_labels import describe_action
from fediverse_cases.core.case_titles import case_title
from fediverse_cases.core.finding_labels import image_text_label, metadata_labels, text_kind_labels
from fediverse_cases.federation.peers import seed_from_settings
from fediverse_cases.federation.workers import Workers
from fediverse_cases.services import deid_jobs, push_jobs
from fediverse_cases.services import paging as paging_jobs
from fediverse_cases.settings import Settings
from fediverse_cases.storage.repositories.cases import count_review_queue, count_unread_notifications
from fediverse_cases.storage.repositories.comments import count_held_comments
from fediverse_cases.web import api, dicomweb, oidc_routes
from fediverse_cases.web.auth import load_current_account
from fediverse_cases.web.blueprints import (
    activitypub,
    activitypub_objects,
    admin,
    auth,
    calibration,
    case_edits,
    cases,
    collections,
    comment_review,
    compose,
    compose_jobs,
    federation_admin,
    feeds,
    groups,
    media,
    outcomes,
    pages,
    paging,
    polls,
    profile,
    review,
    web_push,
    withdrawal,
)
from fediverse_cases.web.csrf import init_csrf
from fediverse_cases.web.doc_cache import init_document_cache
from fediverse_cases.web.doc_cache_asgi import CachedDocumentsFastPath
from fediverse_cases.web.error_pages import init_error_pages, render_error_page
from fediverse_cases.web.field_labels import field_label
from fediverse_cases.web.fresh_values import init_fresh_values
from fediverse_cases.web.observability import init_observability
from fediverse_cases.web.rendering import drop_flask_context_processors
from fediverse_cases.web.security_headers import security_headers
from fediverse_cases.web.sessions import CookieSessions
from fediverse_cases.web.state import AppState
from fediverse_cases.web.template_urls import TemplateUrls

# Templates and static files ship inside this package (package data), beside this module.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


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
    app.session_interface = CookieSessions()
    app.jinja_env.autoescape = True
    documents = init_document_cache(app, state.change_signal, settings.server.document_cache_entries)
    # Off with the document cache: both rely on this host's change signal seeing every write.
    signed_in_entries = (
        settings.server.signed_in_cache_entries if settings.server.document_cache_entries else 0
    )
    reader_values = init_fresh_values(app, state.change_signal, signed_in_entries)
    app.jinja_env.globals.update(
        instance=settings.instance,
        role_labels=ROLE_LABELS,
        can_post_and_comment=can_post_and_comment,
        can_review=can_review,
        is_admin=is_admin,
        describe_action=describe_action,
        field_label=field_label,
        case_title=case_title,
        metadata_labels=metadata_labels,
        text_kind_labels=text_kind_labels,
        image_text_label=image_text_label,
        sso=settings.sso,
        url_for=TemplateUrls(app.url_for),
    )
    # First in line, before the CSRF check parses a form: an oversized upload is refused from its
    # Content-Length, and the body limit makes Quart count bytes as they stream in.
    app.before_request(compose.upload_size_guard)
    init_csrf(app)
    app.before_request(load_current_account)

    @app.context_processor
    async def inject_account() -> dict[str, object]:
        account = g.get("account")
        if account is None:
            return {"current_account": None, "notification_count": 0, "review_count": 0}
        reviewer = can_review(account)

        async def badge_counts() -> tuple[int, int]:
            review_count = 0
            async with state.sessionmaker() as db:
                unread = await count_unread_notifications(db, account.id)
                if reviewer:
                    review_count = await count_review_queue(db) + await count_held_comments(db)
            return unread, review_count

        # Counts load no rows, so they name the tables whose writes change them.
        unread, review_count = await reader_values.get(
            f"badges {account.id} {reviewer}",
            badge_counts,
            depends_on=("table:notifications", *(("table:cases", "table:comments") if reviewer else ())),
        )
        return {"current_account": account, "notification_count": unread, "review_count": review_count}

    app.after_request(security_headers)

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

    for module in (
        pages,
        auth,
        profile,
        admin,
        compose,
        compose_jobs,
        review,
        comment_review,
        case_edits,
        media,
        cases,
        polls,
        outcomes,
        calibration,
        collections,
        feeds,
        groups,
        paging,
        activitypub,
        activitypub_objects,
        federation_admin,
        withdrawal,
        web_push,
    ):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(oidc_routes.blueprint)
    app.register_blueprint(api.build_blueprint())
    app.register_blueprint(dicomweb.blueprint)
    drop_flask_context_processors(app)
    dicomweb.init_listener(app, state)
    # Inside the observer, so answers from the fast path are logged and timed like any other.
    app.asgi_app = CachedDocumentsFastPath(app.asgi_app, documents)  # type: ignore[method-assign]
    init_observability(app, state)
    init_error_pages(app, settings.uploads)

    workers: list[Workers] = []

    @app.before_serving
    async def start_federation() -> None:
        await seed_from_settings(state)
        server = settings.server
        if server.run_background_workers or server.run_deidentify_jobs:
            # By default a small instance runs everything here; larger ones switch these off and
            # run `fediverse-cases worker` processes (on other machines too, sharing PostgreSQL).
            jobs = [deid_jobs.job_loop(state)] if server.run_deidentify_jobs else []
            if server.run_background_workers:
                jobs += [push_jobs.job_loop(state), paging_jobs.job_loop(state)]
            workers.append(Workers(state, jobs=jobs, federation=server.run_background_workers))
            workers[0].start()

    @app.after_serving
    async def stop_federation() -> None:
        while workers:
            await workers.pop().stop()
        await state.close()

    return app
