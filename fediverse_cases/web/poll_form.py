"""The composer's poll fields as the form sends them (up to 8 candidate diagnoses, a duration,
single or several choices), and back for redisplay. The rules are in ``services.polls``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.polls import DURATIONS, MAX_OPTIONS
from fediverse_cases.services.polls import DEFAULT_DURATION, PollInput, option_field
from fediverse_cases.storage.repositories import polls as polls_repo


def poll_values(form: Any) -> dict[str, Any]:
    try:
        duration = int(str(form.get("poll_duration", DEFAULT_DURATION))[:9])
    except ValueError:
        duration = 0  # refused by the service with a message, never silently replaced
    values: dict[str, Any] = {
        option_field(index): str(form.get(option_field(index), ""))[:500] for index in range(MAX_OPTIONS)
    }
    values["poll_duration"] = duration
    values["poll_multiple"] = form.get("poll_multiple") == "on"
    return values


def poll_input(values: dict[str, Any]) -> PollInput:
    return PollInput(
        options=[values.get(option_field(index), "") for index in range(MAX_OPTIONS)],
        duration_seconds=int(values.get("poll_duration") or 0),
        multiple=bool(values.get("poll_multiple")),
    )


async def stored_poll_values(db: AsyncSession, case_id: int) -> dict[str, Any]:
    poll = await polls_repo.poll_of_case(db, case_id)
    options = list(poll.options) if poll is not None else []
    values: dict[str, Any] = {
        option_field(index): options[index] if index < len(options) else "" for index in range(MAX_OPTIONS)
    }
    values["poll_duration"] = poll.duration_seconds if poll is not None else DEFAULT_DURATION
    values["poll_multiple"] = poll.multiple if poll is not None else False
    return values


def poll_template_context() -> dict[str, Any]:
    return {"poll_durations": DURATIONS, "poll_option_count": MAX_OPTIONS}
