"""What the stack viewer (static/stack-viewer.js, templates/dicom/_stack.html) is given: the
frames' display URLs at each window preset, in stack order, as one JSON attribute."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fediverse_cases.storage.repositories.dicom import CaseStack
from fediverse_cases.web.state import app_state


@dataclass(frozen=True)
class StackView:
    frames: int
    presets: list[dict]
    width: int
    height: int
    modality: str
    first_url: str
    data: str  # JSON: {"presets": [{"key", "label"}], "frames": [{preset key: url}]}


def stack_view(stack: CaseStack) -> StackView:
    urls = app_state().urls

    def url(key: str, media_type: str) -> str:
        return urls.media_file(key, "display", ".png" if media_type == "image/png" else ".jpg")

    frames = [{preset: url(*media) for preset, media in frame.items()} for frame in stack.frames]
    presets = [{"key": p["key"], "label": p["label"]} for p in stack.presets]
    return StackView(
        frames=len(frames),
        presets=presets,
        width=stack.width,
        height=stack.height,
        modality=stack.modality,
        first_url=frames[0][stack.default_preset],
        data=json.dumps({"presets": presets, "frames": frames}, separators=(",", ":")),
    )
