"""Images of remote cases, cached locally after a second de-identification.

A peer's display image is fetched through the guarded transport (allow-list and SSRF guard,
size cap), run through our own de-identification engine again (metadata, faces, burned-in text:
we trust no one's scrubbing but ours), and the engine's output is what the media store keeps and
what our pages serve. A refused or unreachable image is dropped with a log line; the case keeps
the images that passed. Deleting a remote case deletes its cached files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert import RemoteImage
from fediverse_cases.federation.state import FederationState
from fediverse_cases.media.image_fields import stored_image_fields
from fediverse_cases.storage.models import Case, CaseImage

log = logging.getLogger(__name__)

__all__ = ["delete_cached_media", "prepare_remote_images", "store_prepared"]


async def download(state: FederationState, url: str, max_bytes: int) -> bytes:
    """GET through the plumbing's guarded transport (allow-list enforced); raise on refusal."""

    # Unsigned, like Mastodon's media fetches: de-identified derivatives are public by design.
    response = await state.transport.get(url, accept="image/jpeg, image/png, image/*", max_bytes=max_bytes)
    if response.status != 200:
        raise RuntimeError(f"GET {url} answered HTTP {response.status}")
    return response.body


async def _one(state: FederationState, image: RemoteImage) -> tuple[RemoteImage, Any] | None:
    try:
        data = await download(state, image.url, state.settings.uploads.max_image_bytes)
    except Exception as error:  # refused by the guard, too big, unreachable: drop, never fail the case
        log.warning("remote image %s dropped: fetch failed: %s", image.url, error)
        return None
    result = await asyncio.to_thread(state.deidentifier.process, data, declared_type=image.media_type or None)
    if not result.accepted or result.image is None:
        log.warning("remote image %s dropped: de-identification refused it: %s", image.url, result.reason)
        return None
    return image, result


async def prepare_remote_images(
    state: FederationState, images: Sequence[RemoteImage]
) -> list[tuple[RemoteImage, Any]]:
    """Fetch and re-de-identify every image before any database write (no long transactions)."""
    prepared = []
    for image in images:
        outcome = await _one(state, image)
        if outcome is not None:
            prepared.append(outcome)
    return prepared


def store_prepared(
    db: AsyncSession, state: FederationState, case: Case, prepared: Sequence[tuple[RemoteImage, Any]]
) -> int:
    """Save the engine's output to the media store and add the image rows; returns how many."""
    for position, (image, result) in enumerate(prepared):
        stored = state.media_store.save(result.image)
        db.add(
            CaseImage(
                case_id=case.id,
                position=position,
                alt_text=image.alt_text,
                remote_url=image.url,
                **stored_image_fields(result, stored.key),
            )
        )
    return len(prepared)


def delete_cached_media(state: FederationState, media_keys: Sequence[str]) -> None:
    for key in media_keys:
        state.media_store.delete(key)
