"""The stored facts of one de-identified image — key, type, sizes of each variant, blurhash and
the engine's report — as the column values every image row shares (a case's ``CaseImage``, a
client-API ``MediaUpload``), so the mapping from engine output to a row is written once."""

from __future__ import annotations

from fediverse_cases.deidentify import DeidentificationResult

IMAGE_COLUMNS: tuple[str, ...] = (
    "media_key",
    "media_type",
    "width",
    "height",
    "display_width",
    "display_height",
    "thumbnail_width",
    "thumbnail_height",
    "blurhash",
    "deid_report",
)


def stored_image_fields(result: DeidentificationResult, media_key: str) -> dict[str, object]:
    """Column values for an accepted result whose variants were saved under ``media_key``."""
    clean = result.image
    assert clean is not None, "only accepted results are stored"
    return {
        "media_key": media_key,
        "media_type": clean.media_type,
        "width": clean.width,
        "height": clean.height,
        "display_width": clean.display_width,
        "display_height": clean.display_height,
        "thumbnail_width": clean.thumbnail_width,
        "thumbnail_height": clean.thumbnail_height,
        "blurhash": clean.blurhash,
        "deid_report": result.report.to_json(),
    }


def copy_image_fields(source: object, target: object, fields: dict[str, object] | None = None) -> None:
    """Set the image columns on ``target`` from ``fields`` (or from another image row)."""
    values = fields if fields is not None else {name: getattr(source, name) for name in IMAGE_COLUMNS}
    for name, value in values.items():
        setattr(target, name, value)
