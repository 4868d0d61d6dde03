"""De-identification of a stack that arrives already rendered: a peer's stack of a DICOM series,
each frame one 8-bit image per window preset (federation.remote_stack fetches them).

We trust no one's scrubbing but ours, so this is the stack path of deidentify/stack.py applied
to images instead of DICOM values: every file is decoded by our own decoder (format sniffed,
containers walked, pixel limits, animations refused; nothing of the file but its pixels is kept),
*every* rendering of every frame is searched with the engine's detectors (text on each, faces on
the first, ``Deidentifier.stack_frame_boxes``) since a peer's presets are separate images that may
each show something the others do not, the boxes found anywhere are covered on every frame and
preset as for our own stacks (``stack.propagated``), a frame that would be covered beyond the
policy's share refuses the whole stack, and each rendering is re-encoded and verified
(``encode.build_clean_image``) before ``sink`` sees it. Fail closed: any frame that cannot be
decoded, has another size than the first, or a detector failure refuses the whole stack.

Two passes keep memory flat: the first decodes and searches, keeping boxes only; the second
decodes again, paints, encodes and hands each frame to ``sink`` in stack order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PIL import Image

from . import encode as encode_mod
from . import redact
from .decode import decode
from .geometry import Box
from .model import Refusal
from .stack import StackEngine, StackFrame, StackResult, coverage, propagated

# One frame as received: (preset key, declared media type, file bytes) per rendering, the
# default preset first.
RenderedFrame = Sequence[tuple[str, str, bytes]]


def _decoded(engine: StackEngine, index: int, frame: RenderedFrame) -> list[tuple[str, Image.Image]]:
    out = []
    for preset, media_type, data in frame:
        try:
            image = decode(data, engine.policy, None, media_type or None).image
        except Refusal as refusal:
            raise Refusal(f"image {index + 1} of the stack ({preset}): {refusal.reason}") from None
        out.append((preset, image))
    return out


def deidentify_rendered_stack(
    engine: StackEngine, frames: Sequence[RenderedFrame], sink: Callable[[StackFrame], None]
) -> StackResult:
    """Search, cover, re-encode and hand every frame to ``sink`` in order. Never raises for bad
    input: a refused result carries the reason (``sink`` may have seen some frames; the caller
    deletes what it stored)."""
    try:
        return _run(engine, frames, sink)
    except Refusal as refusal:
        return StackResult(False, refusal.reason)
    except Exception as exc:  # fail closed
        import logging

        logging.getLogger(__name__).exception("rendered stack de-identification failed")
        return StackResult(False, f"internal error while de-identifying the stack ({type(exc).__name__})")


def _run(
    engine: StackEngine, frames: Sequence[RenderedFrame], sink: Callable[[StackFrame], None]
) -> StackResult:
    policy = engine.policy
    if not frames or not frames[0]:
        raise Refusal("the stack is empty")
    presets = tuple(preset for preset, _type, _data in frames[0])
    started = time.perf_counter()
    size: tuple[int, int] | None = None
    per_frame: list[list[Box]] = []
    for index, frame in enumerate(frames):
        if tuple(preset for preset, _type, _data in frame) != presets:
            raise Refusal(f"image {index + 1} of the stack does not have the same window presets")
        renderings = _decoded(engine, index, frame)
        for _preset, image in renderings:
            if size is None:
                size = image.size
            elif image.size != size:
                raise Refusal(
                    f"image {index + 1} of the stack is {image.size[0]}x{image.size[1]}, "
                    f"not {size[0]}x{size[1]} like the first"
                )
        per_frame.append(engine.stack_frame_boxes([(f"preset_{p}", image) for p, image in renderings]))
    assert size is not None
    detect_seconds = time.perf_counter() - started
    shared = propagated(per_frame, size, policy.review_coverage)
    covers = [[c for c in (b.clip(*size) for b in (*own, *shared)) if c is not None] for own in per_frame]
    fraction = max(coverage(boxes, size) for boxes in covers)
    if fraction > policy.review_coverage:
        raise Refusal(
            f"the text and faces found would cover {100 * fraction:.0f} % of a frame of the stack "
            f"(more than {100 * policy.review_coverage:.0f} %); the stack was not kept"
        )
    pool = engine.pool()
    for index, frame in enumerate(frames):
        images = tuple(
            encode_mod.build_clean_image(redact.paint(image, covers[index])[0], policy, pool)
            for _preset, image in _decoded(engine, index, frame)
        )
        sink(StackFrame(index, index, presets, images))
    return StackResult(
        True,
        None,
        frames=len(per_frame),
        boxes=tuple(tuple((b.x, b.y, b.right, b.bottom) for b in boxes) for boxes in covers),
        redacted_fraction=fraction,
        seconds_per_frame=detect_seconds / len(per_frame),
    )
