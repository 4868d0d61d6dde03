"""Reading the redaction editor's form (``regions`` and ``crop`` as JSON, in original-image
pixels) into engine boxes; a malformed form is a 400 with the reason."""

from __future__ import annotations

import json
from typing import Any

from quart import abort

from fediverse_cases.deidentify import Box

MAX_REGIONS = 50


def _box(value: Any) -> Box:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), int) for k in ("x", "y", "w", "h")):
        raise ValueError("a box needs whole-number x, y, w and h")
    return Box(value["x"], value["y"], value["w"], value["h"])


def read_boxes(form: Any) -> tuple[list[Box], Box | None]:
    try:
        raw_regions = json.loads(form.get("regions") or "[]")
        raw_crop = json.loads(form.get("crop") or "null")
        if not isinstance(raw_regions, list) or len(raw_regions) > MAX_REGIONS:
            raise ValueError(f"send at most {MAX_REGIONS} boxes")
        regions = [_box(item) for item in raw_regions]
        crop = _box(raw_crop) if raw_crop else None
    except (ValueError, TypeError) as error:
        abort(400, description=f"The redaction boxes could not be read: {error}.")
    return regions, crop
