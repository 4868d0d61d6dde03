"""How case pages show a case's images and the identifier scanner's findings: the image view the
preview and the redaction editor read, the de-identification job view, and findings marked up either as escaped HTML or as
segments a template wraps in ``<mark>`` (no routes here; the blueprints import these)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from fediverse_cases.deidentify import PhiFinding
from fediverse_cases.services.deid_jobs import describe
from fediverse_cases.storage.models import CaseImage, DeidJob
from fediverse_cases.web.state import app_state


def image_view(image: CaseImage) -> dict[str, Any]:
    """What the preview and the redaction editor need to know about one stored image."""
    urls = app_state().urls
    extension = ".jpg" if image.media_type == "image/jpeg" else ".png"
    report = image.deid_report or {}
    crop = report.get("crop") or {
        "x": 0,
        "y": 0,
        "w": report.get("source_width") or image.width,
        "h": report.get("source_height") or image.height,
    }
    return {
        "row": image,
        "display_url": urls.media_file(image.media_key, "display", extension),
        "full_url": urls.media_file(image.media_key, "full", extension),
        "thumb_url": urls.media_file(image.media_key, "thumb", extension),
        "report": report,
        "editor": json.dumps(
            {
                "source": {"w": report.get("source_width"), "h": report.get("source_height")},
                "crop": crop,
                "faces": [f["box"] for f in report.get("faces", [])],
                "texts": [t["box"] for t in report.get("text_regions", []) if t.get("covered")],
                "manual": list(image.manual_regions or []),
                "has_crop": bool(report.get("crop")),
            }
        ),
        "has_original": bool(image.original_key),
    }


def job_view(job: DeidJob) -> dict[str, Any]:
    """A de-identification job on the compose page: its progress, or the reason it was refused,
    or (handed over) the editor over the original with the engine's proposed boxes as the
    clinician's own, to accept, delete or redraw."""
    view = describe(job)
    proposed = job.proposed or {}
    if job.state == "needs_review":
        source = proposed.get("source") or {}
        width, height = source.get("w") or 0, source.get("h") or 0
        boxes = list(job.regions or []) + list(proposed.get("boxes") or [])
        view.update(
            coverage=100 * float(proposed.get("coverage") or 0),
            threshold=100 * float(proposed.get("threshold") or 0),
            proposed_count=len(proposed.get("boxes") or []),
            width=width,
            height=height,
            editor=json.dumps(
                {
                    "source": {"w": width, "h": height},
                    "crop": {"x": 0, "y": 0, "w": width, "h": height},
                    "faces": [],
                    "texts": [],
                    "manual": boxes,
                    "has_crop": False,
                }
            ),
        )
    return view


def highlight_markup(text: str, findings: list[Any]) -> Markup:
    """``text`` escaped, with each PHI finding wrapped in <mark> naming its category."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < position:
            continue
        parts.append(str(escape(text[position : finding.start])))
        parts.append(
            f'<mark class="phi" title="{escape(finding.category)}">{escape(text[finding.start : finding.end])}</mark>'
        )
        position = finding.end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


@dataclass(frozen=True)
class TextSegment:
    text: str
    finding: str = ""


def highlight_segments(text: str, findings: list[PhiFinding]) -> list[TextSegment]:
    """Split ``text`` into plain and flagged parts, for <mark> in the form (escaped by Jinja)."""
    segments, position = [], 0
    for finding in sorted(findings):
        if finding.start < position:
            continue
        segments.append(TextSegment(text[position : finding.start]))
        segments.append(TextSegment(text[finding.start : finding.end], finding.category))
        position = finding.end
    segments.append(TextSegment(text[position:]))
    return [segment for segment in segments if segment.text]
