"""The whole stack of a peer's case: finding its ``Link``, fetching its ``OrderedCollection`` and
the frame files, within fixed bounds, from the case's own origin only.

A case Note from a fediverse-cases peer carries a series as a few key ``Image`` attachments plus
a ``Link`` (``rel`` ``fediverseCases:stack``) to an ``OrderedCollection`` of every frame, each an
``Image`` whose ``url`` lists one ``Link`` per window preset (FEDERATION.md). Everything here is
network and parsing; the de-identification of the frames is ``deidentify.rendered_stack`` and the
durable job that stores them is ``services.remote_stack_job``.

Bounds (refused beyond, the case then keeps its key frames): at most ``MAX_STACKS`` stacks per
case, ``MAX_FRAMES`` frames per stack, ``MAX_PRESETS`` renderings per frame (the first ones, the
default first), each file at most ``uploads.max_image_bytes`` and one stack at most
``MAX_STACK_BYTES`` in all. The collection is fetched signed as our instance actor (a "followers
and peers" case serves it only to allowed peers); the frame files unsigned, as remote media. The
Link, the collection and every frame URL (after redirects too) must be on the case's own host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.federation.dereference import FetchError, fetch_document
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.transport import TransportError
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case, DeidJob

# The deid_jobs kind of the job that fetches a remote case's stacks (services.remote_stack_job).
JOB_KIND = "remote_stack"
STACK_REL = "fediverseCases:stack"
MAX_STACKS = 10
MAX_FRAMES = 500
MAX_PRESETS = 4
MAX_STACK_BYTES = 256 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg")


class StackRefused(Exception):
    """The stack is not kept; the message says why (logged, and the job's reason)."""


class StackUnreachable(Exception):
    """The origin could not be reached for now: the job tries again later (with backoff)."""


def _same_host(url: str, origin: str) -> bool:
    try:
        return host_of(url) == host_of(origin)
    except InvalidHost:
        return False


def _rels(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def stack_links(note: dict[str, Any]) -> list[str]:
    """The hrefs of the Note's stack Links on the Note's own host, in order (at most MAX_STACKS)."""
    attachments = note.get("attachment")
    note_id = note.get("id")
    if not isinstance(note_id, str):
        return []
    items = attachments if isinstance(attachments, list) else [attachments]
    hrefs: list[str] = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "Link":
            continue
        href = item.get("href")
        if STACK_REL not in _rels(item.get("rel")) or not isinstance(href, str):
            continue
        if _same_host(href, note_id) and href not in hrefs:
            hrefs.append(href)
    return hrefs[:MAX_STACKS]


@dataclass(frozen=True)
class RemoteFrame:
    """One frame: (preset key, media type, URL) per rendering, the default preset first."""

    renderings: tuple[tuple[str, str, str], ...]

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(url for _preset, _type, url in self.renderings)


@dataclass(frozen=True)
class RemoteStack:
    href: str
    presets: list[dict[str, Any]]  # as DicomSeries.stack_presets: key, label, center, width
    frames: tuple[RemoteFrame, ...]


def _presets(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("fediverseCases:windowPresets")
    out: list[dict[str, Any]] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        key = item["key"][:32]
        if any(p["key"] == key for p in out):
            continue
        center, width = item.get("windowCenter"), item.get("windowWidth")
        out.append(
            {
                "key": key,
                "label": str(item.get("name") or key)[:80],
                "center": float(center) if isinstance(center, int | float) else None,
                "width": float(width) if isinstance(width, int | float) else None,
            }
        )
    return out[:MAX_PRESETS]


def parse_stack(document: dict[str, Any], href: str, case_ap_id: str) -> RemoteStack:
    """The collection as a stack, or StackRefused: it must be the requested OrderedCollection of
    the case, within the bounds, every frame at the same presets, every URL on the case's host."""
    if document.get("type") != "OrderedCollection" or document.get("id") != href:
        raise StackRefused(f"{href} is not the stack's OrderedCollection")
    if document.get("context") != case_ap_id:
        raise StackRefused(f"{href} is not a stack of {case_ap_id}")
    items = document.get("orderedItems")
    if not isinstance(items, list) or len(items) < 2:
        raise StackRefused(f"{href} has no frames")
    if len(items) > MAX_FRAMES:
        raise StackRefused(f"{href} has {len(items)} frames; at most {MAX_FRAMES} are fetched")
    presets = _presets(document)
    if not presets:
        raise StackRefused(f"{href} names no window presets")
    keys = [p["key"] for p in presets]
    frames = []
    for number, item in enumerate(items, start=1):
        links = item.get("url") if isinstance(item, dict) else None
        by_key: dict[str, tuple[str, str, str]] = {}
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, dict):
                continue
            key, url, media_type = (
                link.get("fediverseCases:windowPreset"),
                link.get("href"),
                link.get("mediaType"),
            )
            if key in keys and isinstance(url, str) and media_type in IMAGE_TYPES:
                if not _same_host(url, case_ap_id):
                    raise StackRefused(f"frame {number} of {href} is not on the case's host")
                by_key.setdefault(key, (key, media_type, url))
        if sorted(by_key) != sorted(keys):
            raise StackRefused(f"frame {number} of {href} lacks a window preset")
        frames.append(RemoteFrame(tuple(by_key[k] for k in keys)))
    return RemoteStack(href, presets, tuple(frames))


async def fetch_stack(state: FederationState, href: str, case_ap_id: str) -> RemoteStack:
    """GET the collection (signed) and check it."""
    if not _same_host(href, case_ap_id):
        raise StackRefused(f"{href} is not on the case's host")
    try:
        document = await fetch_document(state, href)
    except FetchError as error:
        text = str(error)
        if "HTTP 404" in text or "HTTP 410" in text or "not ActivityStreams" in text:
            raise StackRefused(f"cannot fetch {href}: {text}") from None
        raise StackUnreachable(f"cannot fetch {href}: {text}") from None
    return parse_stack(document, href, case_ap_id)


async def download_frames(
    state: FederationState, stack: RemoteStack, case_ap_id: str, *, max_bytes: int = MAX_STACK_BYTES
) -> list[tuple[tuple[str, str, bytes], ...]]:
    """Every rendering of every frame (unsigned, as remote media), in order; StackRefused when one
    cannot be fetched, leaves the case's host or the stack passes ``max_bytes`` in all."""
    per_file = state.settings.uploads.max_image_bytes
    total = 0
    out = []
    for number, frame in enumerate(stack.frames, start=1):
        files = []
        for preset, media_type, url in frame.renderings:
            budget = min(per_file, max_bytes - total)
            if budget <= 0:
                raise StackRefused(f"{stack.href} is larger than {max_bytes} bytes")
            try:
                response = await state.transport.get(url, accept=", ".join(IMAGE_TYPES), max_bytes=budget)
            except TransportError as error:
                if "larger than" in str(error):
                    raise StackRefused(f"frame {number} of {stack.href}: {error}") from None
                raise StackUnreachable(f"frame {number} of {stack.href}: {error}") from None
            if response.status in (404, 410):
                raise StackRefused(f"frame {number} of {stack.href}: HTTP {response.status}")
            if response.status != 200:
                raise StackUnreachable(f"frame {number} of {stack.href}: HTTP {response.status}")
            if not _same_host(response.url, case_ap_id):
                raise StackRefused(f"frame {number} of {stack.href} was redirected off the case's host")
            total += len(response.body)
            files.append((preset, media_type, response.body))
        out.append(tuple(files))
    return out


def queue_fetch(db: AsyncSession, case: Case) -> DeidJob:
    """In the inbox's transaction: a job to fetch this received case's stacks later (the inbox
    never waits for them). The de-identification worker polls for it."""
    job = DeidJob(
        kind=JOB_KIND,
        case_id=case.id,
        original_key="",
        regions=[],
        state="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        output_key="",
        last_error="",
        handover_note="",
    )
    db.add(job)
    return job
