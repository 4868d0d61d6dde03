"""The per-image report: what was found and removed, by category, never the PHI values themselves.

Box coordinates are in the upright original image (before the crop); ``crop`` tells where the
output starts. Text read by OCR is recorded only as a length and a category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .geometry import Box


@dataclass(frozen=True, slots=True)
class FaceFinding:
    box: Box
    confidence: float
    rotation: int
    detector: str = "mtcnn"

    def to_json(self) -> dict[str, Any]:
        return {
            "box": self.box.to_json(),
            "confidence": round(self.confidence, 3),
            "rotation": self.rotation,
            "detector": self.detector,
            "pass": f"rotation_{self.rotation}",
        }


@dataclass(frozen=True, slots=True)
class TextFinding:
    """A detected text region. ``category`` describes the text's shape, not its content."""

    box: Box
    length: int
    category: str
    confidence: float
    covered: bool
    detector: str = "rapidocr"
    # The detection pass(es) that found it, "+"-joined (text_passes.py: "original",
    # "local_contrast_sharpened", "window_top_range", ...).
    source: str = "original"
    # How a poorly read box was read again ("enhanced", "rotated 180", ...), or None.
    reread: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "box": self.box.to_json(),
            "length": self.length,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "covered": self.covered,
            "detector": self.detector,
            "pass": self.source,
            "reread": self.reread,
        }


@dataclass(frozen=True, slots=True)
class DicomSummary:
    modality: str | None
    burned_in_annotation: str | None
    text_detection_reason: str
    identifying_attributes: tuple[str, ...]
    frames: int
    frame_rendered: int
    windowing: str

    def to_json(self) -> dict[str, Any]:
        return {
            "modality": self.modality,
            "burned_in_annotation": self.burned_in_annotation,
            "text_detection_reason": self.text_detection_reason,
            "identifying_attributes": list(self.identifying_attributes),
            "frames": self.frames,
            "frame_rendered": self.frame_rendered,
            "windowing": self.windowing,
        }


@dataclass(frozen=True, slots=True)
class DeidentificationReport:
    decision: str  # "accepted", "refused" or "needs_review" (see DeidentificationResult)
    reason: str | None = None
    source_format: str | None = None
    source_width: int | None = None
    source_height: int | None = None
    orientation_applied: int | None = None
    metadata_removed: tuple[str, ...] = ()
    dicom: DicomSummary | None = None
    faces: tuple[FaceFinding, ...] = ()
    text_regions: tuple[TextFinding, ...] = ()
    manual_regions: tuple[Box, ...] = ()
    crop: Box | None = None
    output_media_type: str | None = None
    output_width: int | None = None
    output_height: int | None = None
    redacted_fraction: float = 0.0
    detectors: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The text detection passes run on this image, in order.
    detection_passes: tuple[str, ...] = ()
    # decision "needs_review": the boxes the engine proposes (not painted), and the threshold
    # their coverage (``redacted_fraction``) went over.
    proposed_boxes: tuple[Box, ...] = ()
    review_coverage: float | None = None

    @property
    def accepted(self) -> bool:
        return self.decision == "accepted"

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "source_format": self.source_format,
            "source_width": self.source_width,
            "source_height": self.source_height,
            "orientation_applied": self.orientation_applied,
            "metadata_removed": list(self.metadata_removed),
            "dicom": self.dicom.to_json() if self.dicom else None,
            "faces": [f.to_json() for f in self.faces],
            "text_regions": [t.to_json() for t in self.text_regions],
            "manual_regions": [b.to_json() for b in self.manual_regions],
            "crop": self.crop.to_json() if self.crop else None,
            "output_media_type": self.output_media_type,
            "output_width": self.output_width,
            "output_height": self.output_height,
            "redacted_fraction": round(self.redacted_fraction, 5),
            "detectors": dict(self.detectors),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "detection_passes": list(self.detection_passes),
            "proposed_boxes": [b.to_json() for b in self.proposed_boxes],
            "review_coverage": self.review_coverage,
        }
