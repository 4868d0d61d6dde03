"""The compose page's de-identification jobs: their progress as JSON (polled by
static/deid-jobs.js, which reloads the page when a job settles so the editor opens), the private
original of a handed-over image for its author's editor, the clinician's decision on the
proposed boxes, and dismissing a refused image.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from quart import Blueprint, abort, flash, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from fediverse_cases.services import deid_jobs
from fediverse_cases.services.case_errors import EDITABLE_STATES
from fediverse_cases.storage.models import DeidJob
from fediverse_cases.web.auth import professional_required
from fediverse_cases.web.compose_access import own_case
from fediverse_cases.web.redaction_form import read_boxes
from fediverse_cases.web.state import app_state

blueprint = Blueprint("compose_jobs", __name__)

# Browsers show these as they are; anything else (DICOM, HEIC, TIFF) is rendered to PNG.
BROWSER_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


@blueprint.get("/compose/<public_id>/jobs")
@professional_required
async def progress(public_id: str) -> Response:
    case, _ = await own_case(public_id)
    async with app_state().sessionmaker() as db:
        jobs = await deid_jobs.open_jobs(db, case.id)
    response = jsonify({"jobs": [deid_jobs.describe(job) for job in jobs]})
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def _job(public_id: str, job_id: int, states: tuple[str, ...]) -> tuple[Any, DeidJob]:
    case, _ = await own_case(public_id)
    async with app_state().sessionmaker() as db:
        job = await deid_jobs.get_job(db, case.id, job_id)
    if job is None or job.state not in states:
        abort(404)
    return case, job


def _viewable(data: bytes) -> tuple[bytes, str]:
    kind = next((k for magic, k in BROWSER_TYPES.items() if data.startswith(magic)), None)
    if kind is not None:
        return data, kind
    try:
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
            buffer = io.BytesIO()
            upright.save(buffer, "PNG")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        abort(404)
    return buffer.getvalue(), "image/png"


@blueprint.get("/compose/<public_id>/jobs/<int:job_id>/original")
@professional_required
async def original(public_id: str, job_id: int) -> Response:
    """The un-redacted upload, for its author only and only while the decision is theirs."""
    _case, job = await _job(public_id, job_id, ("needs_review",))
    data = app_state().private_store.read(job.original_key)
    if data is None:
        abort(404)
    body, kind = _viewable(data)
    return Response(body, content_type=kind, headers={"Cache-Control": "private, no-store"})


def _handover_note(job: DeidJob, kept: int) -> str:
    proposed = job.proposed or {}
    offered = len(proposed.get("boxes") or [])
    coverage = 100 * float(proposed.get("coverage") or 0)
    threshold = 100 * float(proposed.get("threshold") or 0)
    return (
        f"The de-identification engine would have covered {coverage:.0f} % of this image (more than "
        f"{threshold:.0f} %), so it stopped and handed the decision to the author. It proposed "
        f"{offered} box(es); the author confirmed {kept} box(es) of their own. Check that nothing "
        "identifying is left and that the finding is still visible."
    )


@blueprint.post("/compose/<public_id>/jobs/<int:job_id>/confirm")
@professional_required
async def confirm(public_id: str, job_id: int) -> Response:
    case, job = await _job(public_id, job_id, ("needs_review",))
    if case.state not in EDITABLE_STATES:
        abort(409, description="This case can no longer be edited.")
    regions, crop = read_boxes(await request.form)
    state = app_state()
    async with state.transaction() as db:
        fresh = await db.get(DeidJob, job.id)
        if fresh is None or fresh.state != "needs_review":
            abort(409, description="This image was already decided.")
        await deid_jobs.confirm_boxes(db, fresh, regions, crop, _handover_note(fresh, len(regions)))
    deid_jobs.wake(state)
    await flash("De-identification is running again with the boxes you confirmed.")
    return redirect(url_for("compose.edit", public_id=case.public_id) + f"#job-{job.id}")


@blueprint.post("/compose/<public_id>/jobs/<int:job_id>/dismiss")
@professional_required
async def dismiss(public_id: str, job_id: int) -> Response:
    case, job = await _job(public_id, job_id, ("failed", "needs_review"))
    state = app_state()
    async with state.transaction() as db:
        fresh = await db.get(DeidJob, job.id)
        if fresh is not None:
            await deid_jobs.dismiss(state, db, fresh)
    return redirect(url_for("compose.edit", public_id=case.public_id))
