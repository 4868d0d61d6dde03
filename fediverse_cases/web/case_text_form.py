"""The text fields of a case as its forms send them (composer and published-case edit):
title, caption, content warning, graphic flag, specialties, free tags and one description per image,
each cut to a sane length before the services check it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fediverse_cases.services.compose import CaseDetails
from fediverse_cases.storage.models import CaseImage


def case_text_values(form: Any, images: Sequence[CaseImage]) -> dict[str, Any]:
    def text(name: str, limit: int) -> str:
        return str(form.get(name, ""))[:limit]

    values: dict[str, Any] = {
        # None when the form has no title field: the title is kept (or derived), never blanked.
        "title": " ".join(text("title", 400).split()) if "title" in form else None,
        "caption": text("caption", 10_000),
        "content_warning": text("content_warning", 1000),
        "sensitive": form.get("sensitive") == "on",
        "specialties": form.getlist("specialties")[:50],
        "free_tags": text("free_tags", 1000),
    }
    for image in images:
        # A form without this image's field keeps its description (never blanks it by omission).
        values[f"alt_{image.id}"] = str(form.get(f"alt_{image.id}", image.alt_text))[:3000]
    return values


def case_details(values: dict[str, Any], images: Sequence[CaseImage], **extra: Any) -> CaseDetails:
    """The services' view of those fields (``extra``: e.g. the composer's visibility)."""
    return CaseDetails(
        title=values["title"],
        caption=values["caption"],
        alt_texts={image.id: values[f"alt_{image.id}"] for image in images},
        specialties=values["specialties"],
        free_tags=values["free_tags"],
        sensitive=values["sensitive"],
        content_warning=values["content_warning"],
        **extra,
    )
