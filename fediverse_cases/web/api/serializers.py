"""Mastodon JSON shapes (Account, Relationship, Instance pieces) built from our rows.

Plain functions over loaded rows: no database access here, so a serializer can never leak
something the caller did not decide to show. Status/attachment shapes live in
``status_serializers.py``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from fediverse_cases.storage.models import Account, Actor, Follow
from fediverse_cases.storage.repositories.accounts import AccountCounts


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def acct_of(actor: Actor) -> str:
    return actor.username if actor.is_local else f"{actor.username}@{actor.host}"


def _note(actor: Actor, account: Account | None) -> str:
    if actor.is_local:
        # Local summaries are plain text; escaping is the whole sanitization.
        parts = [account.specialty, account.institution] if account else []
        text = " · ".join(part for part in parts if part)
        return f"<p>{escape(text)}</p>" if text else ""
    return actor.summary  # remote summaries are nh3-sanitized when the actor is stored


def account_json(
    actor: Actor, account: Account | None, counts: AccountCounts | None, base_url: str
) -> dict[str, object]:
    verified = (
        account is not None and account.verification_status == "verified" and not account.disabled
        if actor.is_local
        else actor.verified_professional
    )
    profession = (account.occupation if account else "") if actor.is_local else actor.profession
    counts = counts or AccountCounts()
    avatar = f"{base_url}/static/avatar-missing.png"
    url = actor.profile_url or actor.uri
    if actor.is_local:
        url = f"{base_url}/@{actor.username}"
    return {
        "id": str(actor.id),
        "username": actor.username,
        "acct": acct_of(actor),
        "display_name": actor.display_name or (account.display_name if account else "") or actor.username,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": actor.actor_type == "Group",
        "created_at": iso(actor.created_at),
        "note": _note(actor, account),
        "url": url,
        "uri": actor.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": avatar,
        "header_static": avatar,
        "followers_count": counts.followers,
        "following_count": counts.following,
        "statuses_count": counts.statuses,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
        "fediverse_cases": {
            "verified_professional": bool(verified),
            "profession": profession or "",
            "local": actor.is_local,
        },
    }


def credential_account_json(
    actor: Actor, account: Account, counts: AccountCounts, base_url: str
) -> dict[str, object]:
    body = account_json(actor, account, counts, base_url)
    body["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": "",
        "fields": [],
        "follow_requests_count": 0,
    }
    body["fediverse_cases"] = {  # type: ignore[index]
        **body["fediverse_cases"],  # type: ignore[dict-item]
        "role": account.role,
        "verification_status": account.verification_status,
    }
    return body


def relationship_json(target_id: int, outgoing: Follow | None, incoming: Follow | None) -> dict[str, object]:
    return {
        "id": str(target_id),
        "following": outgoing is not None and outgoing.state == "accepted",
        "showing_reblogs": outgoing is not None,
        "notifying": False,
        "languages": None,
        "followed_by": incoming is not None and incoming.state == "accepted",
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": outgoing is not None and outgoing.state == "pending",
        "requested_by": incoming is not None and incoming.state == "pending",
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }
