"""The ``poll`` parameters of ``POST /api/v1/statuses`` read into the service's ``PollInput``."""

from __future__ import annotations

from fediverse_cases.services import polls as poll_service
from fediverse_cases.web.api.errors import ApiError
from fediverse_cases.web.api.params import Params

MAX_OPTIONS_READ = 9  # one more than allowed, so too many is refused rather than cut


def poll_input(params: Params) -> poll_service.PollInput | None:
    """The ``poll`` of ``POST /api/v1/statuses`` as Mastodon clients send it: form fields
    ``poll[options][]``, ``poll[expires_in]``, ``poll[multiple]``, or a JSON ``poll`` object."""
    nested = params.values.get("poll")
    if nested and isinstance(nested[0], dict):
        body = nested[0]
        options = body.get("options") if isinstance(body.get("options"), list) else []
        expires, multiple = body.get("expires_in"), bool(body.get("multiple"))
    else:
        options = params.get_list("poll[options]")
        expires, multiple = params.get("poll[expires_in]"), params.get_bool("poll[multiple]")
    if not options:
        return None
    try:
        seconds = int(str(expires or poll_service.DEFAULT_DURATION))
    except ValueError:
        raise ApiError(422, "Validation failed: poll[expires_in] must be a number of seconds") from None
    return poll_service.PollInput([str(o)[:500] for o in options[:MAX_OPTIONS_READ]], seconds, multiple)
