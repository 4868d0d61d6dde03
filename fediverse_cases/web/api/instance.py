"""``GET /api/v1/instance`` and ``/api/v2/instance``: what clients learn about this hospital,
plus our OpenAPI description of the extensions (``/api/fediverse_cases/openapi.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from quart import Blueprint, Response, jsonify

from fediverse_cases.services.push_subscriptions import ensure_vapid_key
from fediverse_cases.storage.repositories.accounts import count_accounts
from fediverse_cases.web.api.auth import api_view
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_instance", __name__)

MASTODON_COMPAT_VERSION = "4.3.0"
OPENAPI_FILE = Path(__file__).resolve().parent / "openapi-extensions.json"
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "application/dicom"]


def _configuration() -> dict[str, object]:
    settings = app_state().settings
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": 5000,
            "max_media_attachments": settings.uploads.max_images_per_case,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": SUPPORTED_MIME_TYPES,
            "image_size_limit": settings.uploads.max_image_bytes,
            "image_matrix_limit": 100_000_000,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
        "translation": {"enabled": False},
    }


async def vapid_public_key() -> str:
    """The key clients pass to PushManager.subscribe (applicationServerKey)."""
    async with app_state().transaction() as db:
        return (await ensure_vapid_key(db)).public_key


def _version() -> str:
    return f"{MASTODON_COMPAT_VERSION} (compatible; fediverse-cases)"


async def _user_count() -> int:
    async with app_state().sessionmaker() as db:
        return await count_accounts(db)


@blueprint.get("/api/v1/instance")
@blueprint.get("/api/v1/instance/")  # Mastodon.py asks with the slash
@api_view(public=True)
async def instance_v1() -> Response:
    settings = app_state().settings
    instance = settings.instance
    return jsonify(
        {
            "uri": instance.host,
            "title": instance.name,
            "short_description": instance.description,
            "description": instance.description,
            "email": "",
            "version": _version(),
            "urls": {},
            "stats": {"user_count": await _user_count(), "status_count": 0, "domain_count": 0},
            "thumbnail": None,
            "languages": ["en"],
            "registrations": settings.registration == "open",
            "approval_required": False,
            "invites_enabled": False,
            "configuration": {**_configuration(), "vapid": {"public_key": await vapid_public_key()}},
            "contact_account": None,
            "rules": [],
            "fediverse_cases": _extension(),
        }
    )


def _extension() -> dict[str, object]:
    return {
        "review_required": True,
        "consent_required": True,
        "deidentification": True,
        "openapi": f"{app_state().settings.instance.base_url}/api/fediverse_cases/openapi.json",
    }


@blueprint.get("/api/v2/instance")
@blueprint.get("/api/v2/instance/")
@api_view(public=True)
async def instance_v2() -> Response:
    settings = app_state().settings
    instance = settings.instance
    return jsonify(
        {
            "domain": instance.host,
            "title": instance.name,
            "version": _version(),
            "source_url": "https://example.invalid/fediverse-cases",
            "description": instance.description,
            "usage": {"users": {"active_month": await _user_count()}},
            "thumbnail": {"url": f"{instance.base_url}/static/avatar-missing.png"},
            "languages": ["en"],
            "configuration": {
                **_configuration(),
                "urls": {},
                "vapid": {"public_key": await vapid_public_key()},
            },
            "registrations": {
                "enabled": settings.registration == "open",
                "approval_required": False,
                "message": None,
            },
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": None},
            "rules": [],
            "fediverse_cases": _extension(),
        }
    )


@blueprint.get("/api/fediverse_cases/openapi.json")
async def openapi() -> Response:
    try:
        document = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = {
            "openapi": "3.1.0",
            "info": {"title": "fediverse-cases extensions", "version": "1"},
            "paths": {},
        }
    document.setdefault("servers", [{"url": app_state().settings.instance.base_url}])
    return jsonify(document)
