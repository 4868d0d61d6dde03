"""``create_published_case``: one call that runs the real pipeline (de-identify each image, record
consent, submit, approve) for demo seeding and federation tests. No shortcut around the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fediverse_cases.core.case_access import Visibility
from fediverse_cases.services import deid_jobs
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.compose import (
    CaseDetails,
    ConsentInput,
    UploadedFile,
    add_images,
    record_consent,
    save_details,
    start_draft,
    submit_case,
)
from fediverse_cases.services.groups import set_case_groups
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.polls import PollInput, save_draft_poll
from fediverse_cases.services.review import approve_case
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account


async def create_published_case(
    state: AppState,
    author_account: Account,
    *,
    images: Sequence[bytes],
    caption: str,
    title: str | None = None,
    tags: Sequence[str] = (),
    visibility: str = Visibility.PUBLIC,
    sensitive: bool = False,
    content_warning: str = "",
    alt_texts: Sequence[str] = (),
    reviewer: Operator | None = None,
    poll: PollInput | None = None,
    groups: Sequence[int] = (),
) -> Case:
    """A published case by ``author_account``; raises CaseError if any image is refused."""
    async with state.transaction() as db:
        actor = await get_actor_for_account(db, author_account.id)
        if actor is None:
            raise CaseError("The author has no actor.")
        case = await start_draft(db, state, actor)
    outcomes = await add_images(
        state, case.id, [UploadedFile(data, f"image{i}.jpg") for i, data in enumerate(images)]
    )
    jobs = await deid_jobs.process_now(state, [o.job_id for o in outcomes if o.job_id is not None])
    refused = [job.last_error or (job.proposed or {}).get("reason") for job in jobs if job.state != "done"]
    if refused:
        raise CaseError(f"an image was refused: {refused[0]}")
    return await publish_draft(
        state,
        author_account,
        case.id,
        caption=caption,
        title=title,
        tags=tags,
        visibility=visibility,
        sensitive=sensitive,
        content_warning=content_warning,
        alt_texts=alt_texts,
        reviewer=reviewer,
        poll=poll,
        groups=groups,
    )


async def publish_draft(
    state: AppState,
    author_account: Account,
    case_id: int,
    *,
    caption: str,
    title: str | None = None,
    tags: Sequence[str] = (),
    visibility: str = Visibility.PUBLIC,
    sensitive: bool = False,
    content_warning: str = "",
    alt_texts: Sequence[str] = (),
    reviewer: Operator | None = None,
    poll: PollInput | None = None,
    groups: Sequence[int] = (),
) -> Case:
    """Complete a draft whose images are stored (an upload, or a study from the PACS), record the
    institutional waiver, submit it and approve it."""
    author = Operator(author_account.id, author_account.username)
    async with state.transaction() as db:
        case = await case_repo.get_case(db, case_id)
        assert case is not None
        stored = await case_repo.list_images(db, case.id)
        await save_details(
            db,
            case,
            CaseDetails(
                title=title,
                caption=caption,
                alt_texts={image.id: text for image, text in zip(stored, alt_texts, strict=False)},
                free_tags=" ".join(tags),
                sensitive=sensitive,
                content_warning=content_warning,
                visibility=visibility,
            ),
        )
        if poll is not None:
            await save_draft_poll(db, case, poll)
        if groups:
            # Group actor ids the author belongs to; sent with the case once approved.
            await set_case_groups(db, case, case.author_actor_id, groups)
        await record_consent(
            db,
            state,
            case,
            ConsentInput(
                "institutional_waiver",
                date.today().isoformat(),
                author_account.display_name or author_account.username,
                # Seeded and scripted cases: the waiver covers exactly the audience asked for.
                audience=visibility,
            ),
            author_account.id,
        )
        await submit_case(db, state, case, author)
    async with state.transaction() as db:
        case = await case_repo.get_case(db, case.id)
        assert case is not None
        await approve_case(db, state, case, reviewer or Operator.system())
    return case
