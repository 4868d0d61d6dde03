"""Page Notes: a page (a clinician asking a group's on-call members about a case) as the Note
that carries it to members at other hospitals, and back.

The Note is addressed to the members it is for at the server it is sent to (``to`` and a
``Mention`` tag each; ``page_activity``), or, sent by a member at another hospital than the
group's, to the Group itself (``to`` and ``audience``, no mention: a page request the group's
home announces to its members' servers), is not public, names the case in ``context`` and links it in its content, and carries
``fediverseCases:page``: ``fediverseCases:urgency`` (now | today), ``fediverseCases:group``
(the group's id), ``fediverseCases:case`` (the case's id) and ``fediverseCases:escalated``
(true when nobody answered in time and the page went to every member; such a Note names
the page it escalates in ``fediverseCases:escalates``) and
``fediverseCases:question`` (the question as plain text). FEDERATION.md shows it.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fediverse_cases.activitypub.base import ext_value, id_of
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT, ext
from fediverse_cases.convert.activities import create_activity
from fediverse_cases.convert.cases import as2_datetime
from fediverse_cases.convert.html import html_to_text
from fediverse_cases.core.paging import Urgency


@dataclass(frozen=True)
class PageNote:
    ap_id: str
    requester_uri: str
    group_uri: str
    case_uri: str
    case_url: str
    case_title: str
    urgency: str
    question: str
    recipients: tuple[tuple[str, str], ...]  # (actor id, @user@host)
    escalated: bool
    published: datetime
    escalates: str = ""  # an escalation names the page it escalates
    # A page request from a member at another hospital: addressed to the Group (``to`` and
    # ``audience``), naming nobody; the group's home fans it out.
    to_group: bool = False


def note_from_page(page: PageNote) -> dict[str, Any]:
    link = f'<a href="{html.escape(page.case_url)}">{html.escape(page.case_title or page.case_url)}</a>'
    lead = "Escalated page" if page.escalated else "Page"
    mentions = " ".join(
        f'<span class="h-card"><a class="u-url mention" href="{html.escape(uri)}">{html.escape(name)}</a></span>'
        for uri, name in page.recipients
    )
    content = (
        f"<p>{mentions} {lead} ({html.escape(page.urgency)}): {html.escape(page.question)}</p><p>{link}</p>"
    )
    return {
        "@context": DEFAULT_CONTEXT,
        "id": page.ap_id,
        "type": "Note",
        "attributedTo": page.requester_uri,
        "to": [page.group_uri] if page.to_group else [uri for uri, _ in page.recipients],
        "cc": [],
        **({"audience": page.group_uri} if page.to_group else {}),
        "context": page.case_uri,
        "content": content,
        "published": as2_datetime(page.published),
        "tag": [{"type": "Mention", "href": uri, "name": name} for uri, name in page.recipients],
        ext("page"): {
            "type": ext("Page"),
            ext("urgency"): page.urgency,
            ext("group"): page.group_uri,
            ext("case"): page.case_uri,
            ext("escalated"): page.escalated,
            ext("question"): page.question,
            **({ext("escalates"): page.escalates} if page.escalates else {}),
        },
    }


def page_activity(page: PageNote, inbox: str) -> dict[str, Any]:
    """The ``Create`` of the page Note for one server's inbox (the Note names that server's
    members only, so a page to many servers costs each of them one small document). Each inbox
    gets its own activity id: a server without a shared inbox receives one per member."""
    activity = create_activity(note_from_page(page))
    activity["id"] = f"{page.ap_id}/activity/{hashlib.sha256(inbox.encode()).hexdigest()[:12]}"
    return activity


@dataclass(frozen=True)
class ReceivedPage:
    ap_id: str  # the page's id (an escalation's is the page it escalates)
    group_uri: str
    case_uri: str
    urgency: str
    escalated: bool
    question: str
    mentioned: tuple[str, ...]


def page_marker(note: dict[str, Any]) -> dict[str, Any] | None:
    marker = ext_value(note, "page")
    return marker if isinstance(marker, dict) else None


def page_from_note(note: dict[str, Any]) -> ReceivedPage | None:
    """The page a Note carries, or None when it is not a well-formed page."""
    marker = page_marker(note)
    if marker is None or not isinstance(note.get("id"), str):
        return None
    group, case = id_of(ext_value(marker, "group")), id_of(ext_value(marker, "case") or note.get("context"))
    urgency = ext_value(marker, "urgency")
    if not isinstance(group, str) or not isinstance(case, str) or urgency not in tuple(Urgency):
        return None
    question = ext_value(marker, "question")
    if not isinstance(question, str):
        question = html_to_text(str(note.get("content") or ""))
    mentioned: list[str] = []
    tags = note.get("tag")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
            mentioned.append(tag["href"])
    escalates = id_of(ext_value(marker, "escalates"))
    return ReceivedPage(
        ap_id=escalates if isinstance(escalates, str) else note["id"],
        group_uri=group,
        case_uri=case,
        urgency=str(urgency),
        escalated=ext_value(marker, "escalated") is True,
        question=" ".join(question.split())[:500],
        mentioned=tuple(dict.fromkeys(mentioned)),
    )
