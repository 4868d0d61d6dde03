"""Image and text de-identification: decode safely, drop metadata, find faces and burned-in text,
redact with solid pixels, re-encode, make derivatives, verify; plus a PHI scan for free text.

Pure functions over bytes and pixels; fails closed; never imports quart, sqlalchemy or httpx.

    engine = Deidentifier(DeidentifyPolicy())          # once per process
    result = engine.process(data, filename="x.jpg")    # from asyncio: await asyncio.to_thread(...)
    if result.accepted: store(result.image)            # CleanImage, the only shareable type
    elif result.needs_review:                          # would cover > policy.review_coverage
        propose(result.report.proposed_boxes)          # nothing painted, nothing shared: the
                                                       # clinician crops or confirms boxes
    else: show(result.reason)                          # refused

Each report says which detector found each box and at which pass (``TextFinding.detector``,
``.source``, ``.reread``; ``FaceFinding.detector``, ``.rotation``; ``detection_passes``).
"""

from __future__ import annotations

from .engine import Deidentifier
from .geometry import Box
from .model import DEFAULT_TEXT_ALLOWLIST, CleanImage, DeidentificationResult, DeidentifyPolicy
from .phi_text import PhiFinding, scan_text
from .report import DeidentificationReport, DicomSummary, FaceFinding, TextFinding

__all__ = [
    "DEFAULT_TEXT_ALLOWLIST",
    "Box",
    "CleanImage",
    "DeidentificationReport",
    "DeidentificationResult",
    "Deidentifier",
    "DeidentifyPolicy",
    "DicomSummary",
    "FaceFinding",
    "PhiFinding",
    "TextFinding",
    "scan_text",
]
