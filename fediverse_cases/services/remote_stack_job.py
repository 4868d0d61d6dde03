"""The whole stack of a peer's case as a durable de-identification job (``deid_jobs`` kind
"remote_stack", ``case_id`` the remote case).

The inbox keeps a received case with its key frames only (``federation.handlers.create``) and,
when its Note links a stack, queues this job in the same transaction: nothing slow happens in the
inbox. The worker that claims it (``services.deid_jobs``, with its lease) fetches the case's Note
again from its origin (signed; the current version, by its author), follows each stack ``Link``
(``federation.remote_stack``: bounded, the case's own host only), runs every frame through our
own de-identification (``deidentify.rendered_stack``) into the media store under keys derived
from the attempt's recorded seed (``media.attempt_keys``: a killed worker's files are removed by
the next attempt), and in one transaction that first checks it still holds the job and the case is
still here records each stack as a ``DicomSeries`` (``received_via`` "remote"; its record names
the Link and the key frames the viewer replaces) with its ``DicomStackImage`` frames. Until then,
and if the stack is refused, the case page shows the key frames. Deleting the case (a Delete from
its author, a purged peer) deletes the frames with its images (``cases_repo.image_keys``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.deidentify.rendered_stack import deidentify_rendered_stack
from fediverse_cases.deidentify.stack import StackFrame
from fediverse_cases.federation import remote_stack
from fediverse_cases.federation.remote_stack import RemoteStack, StackRefused, StackUnreachable
from fediverse_cases.media.attempt_keys import KeySequence
from fediverse_cases.services.dicom_stack import StackFiles, add_rows
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Actor, Case, CaseImage, DeidJob, DicomSeries
from fediverse_cases.storage.repositories import dicom as dicom_repo

log = logging.getLogger(__name__)

KIND = remote_stack.JOB_KIND
RECEIVED_VIA = "remote"
RECORD_KEY = "remote_stack"

Settle = Callable[[AsyncSession], Awaitable[bool]]


@dataclass
class _Built:
    stack: RemoteStack
    key_image_ids: list[int]
    files: StackFiles = field(default_factory=StackFiles)


def _store_frames(state: AppState, frames: list, keys: KeySequence, built: _Built) -> str | None:
    """De-identify and store one stack's frames (in a thread); the refusal, or None."""

    def sink(frame: StackFrame) -> None:
        built.files.save_frame(state, frame, keys)

    try:
        result = deidentify_rendered_stack(state.deidentifier, frames, sink)
    except BaseException:
        built.files.delete(state)
        raise
    if not result.accepted:
        built.files.delete(state)
        return f"the stack was refused by de-identification: {result.reason}"
    built.files.presets = built.stack.presets
    built.files.frames = result.frames
    built.files.seconds_per_frame = result.seconds_per_frame
    return None


async def _case_facts(state: AppState, job: DeidJob) -> tuple[str, str, dict[str, int]] | None:
    """(case ap_id, author uri, key frame URL -> image id), or None when the case is gone."""
    async with state.sessionmaker() as db:
        case = await db.get(Case, job.case_id) if job.case_id is not None else None
        if case is None or case.is_local or case.state != "published":
            return None
        author = await db.get(Actor, case.author_actor_id)
        if author is None:
            return None
        images = (await db.scalars(select(CaseImage).where(CaseImage.case_id == case.id))).all()
        return case.ap_id, author.uri, {image.remote_url: image.id for image in images if image.remote_url}


async def run(state: AppState, job: DeidJob, settle_done: Settle, seed: str) -> str | None:
    """Fetch, de-identify and record the case's stacks; the reason when none is kept (the caller
    fails the job; the key frames stay), or None when settled here or taken over."""
    from fediverse_cases.federation.handlers.create import fetch_note  # the inbox's own refetch

    facts = await _case_facts(state, job)
    if facts is None:
        return "the case is no longer held here"
    ap_id, author_uri, images_by_url = facts
    try:
        note = await fetch_note(state, ap_id)
    except Exception as error:  # unreachable for now: retried by the job's backoff
        raise StackUnreachable(f"cannot fetch {ap_id}: {error}") from None
    if note.get("attributedTo") != author_uri:
        return "the case's Note is no longer its author's"
    keys = KeySequence(seed, "media")
    built: list[_Built] = []
    reasons: list[str] = []
    try:
        for href in remote_stack.stack_links(note):
            try:
                stack = await remote_stack.fetch_stack(state, href, ap_id)
                shown = {url for frame in stack.frames for url in frame.urls}
                key_ids = [image_id for url, image_id in images_by_url.items() if url in shown]
                if not key_ids:
                    raise StackRefused(f"no key frame of {href} was kept here")
                frames = await remote_stack.download_frames(state, stack, ap_id)
            except StackRefused as refused:
                reasons.append(str(refused))
                continue
            one = _Built(stack, sorted(key_ids))
            refusal = await asyncio.to_thread(_store_frames, state, frames, keys, one)
            if refusal:
                reasons.append(f"{href}: {refusal}")
                continue
            built.append(one)
        if not built:
            return "; ".join(reasons) or "the case's Note links no stack"
        if not await _record(state, job, settle_done, built):
            for one in built:
                one.files.delete(state)
            return None
    except BaseException:
        for one in built:
            one.files.delete(state)
        raise
    for reason in reasons:
        log.warning("remote stack of %s not kept: %s", ap_id, reason)
    log.info(
        "remote stack job %s: %s",
        job.id,
        ", ".join(f"{one.files.frames} frames from {one.stack.href}" for one in built),
    )
    return None


async def _record(state: AppState, job: DeidJob, settle_done: Settle, built: list[_Built]) -> bool:
    async with state.transaction() as db:
        case = await db.get(Case, job.case_id)
        if case is None or case.state != "published" or not await settle_done(db):
            return False
        existing = {
            row.case_image_id
            for row in await dicom_repo.list_series(db, case.id)
            if row.received_via == RECEIVED_VIA
        }
        for one in built:
            if one.key_image_ids[0] in existing:
                one.files.delete(state)  # already recorded by an earlier job of the same case
                continue
            row = DicomSeries(
                case_id=case.id,
                case_image_id=one.key_image_ids[0],
                received_via=RECEIVED_VIA,
                modality="",
                instance_count=0,
                original_keys=[],
                derivative_key="",
                deidentification={RECORD_KEY: {"href": one.stack.href, "key_image_ids": one.key_image_ids}},
            )
            db.add(row)
            await db.flush()
            add_rows(db, row, one.files)
    return True
