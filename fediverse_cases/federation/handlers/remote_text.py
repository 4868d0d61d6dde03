"""Identifiers in the text of a case that came from a peer: the peer should have caught them,
but this hospital does not show what it has not checked. A remote case whose title, caption,
content warning or image descriptions look like they hold an identifier is stored hidden, with an
open flag that names the fields, so a reviewer here decides (dismiss shows it, uphold keeps it
hidden) — the same fail-closed rule as for remote comments."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.cases import RemoteCase
from fediverse_cases.core.finding_labels import text_kind_labels
from fediverse_cases.deidentify import scan_text
from fediverse_cases.storage.models import Case, Flag

log = logging.getLogger(__name__)


def remote_texts(remote: RemoteCase) -> dict[str, str]:
    """Every piece of text of a remote case a reader here would see."""
    texts = {"title": remote.title, "caption": remote.caption, "content warning": remote.content_warning}
    texts |= {f"image {image.position + 1} description": image.alt_text for image in remote.images}
    return texts


def flagged_fields(texts: dict[str, str]) -> dict[str, list[str]]:
    """Field name -> the kinds of identifier it seems to hold, for fields with any."""
    found: dict[str, list[str]] = {}
    for name, text in texts.items():
        if findings := scan_text(text):
            found[name] = sorted({finding.category for finding in findings})
    return found


def hold_if_identifying(db: AsyncSession, case: Case, texts: dict[str, str], peer: str) -> bool:
    """Hide ``case`` behind a flag when ``texts`` look identifying; True when it did."""
    found = flagged_fields(texts)
    if not found:
        return False
    case.hidden = True
    where = "; ".join(f"{name}: {text_kind_labels(kinds)}" for name, kinds in found.items())
    db.add(
        Flag(
            case_id=case.id,
            reporter_actor_id=None,
            reason=f"[{peer}] Held on arrival: the text may identify a patient ({where}).",
        )
    )
    log.warning(
        "holding remote case %s from %s: possible identifiers in %s", case.ap_id, peer, ", ".join(found)
    )
    return True
