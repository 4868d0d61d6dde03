"""De-identification of an ordered stack of DICOM frames (a series, or a multi-frame instance) for
the stack viewer: every frame rendered at each window preset, searched, covered and re-encoded.

The photo path (engine.py) costs about 4 s on a 512x512 slice: it enlarges the slice to 736 px,
cuts it into two bands and reads four renderings (one of them a CLAHE pass meant for faint print on
photographed labels). A stack is read with the same detectors, loaded once and reused for every
frame, at the frame's native size in one band, on exactly the renderings that are shared (each
window preset) plus the two extra windows that expose text drawn at the range's extreme or at one
stored level (pixels.detection_windows). Faces are searched on the default preset as for photos.

Fail closed: a frame that cannot be decoded or a detector that fails refuses the whole stack.
Burned-in text in a series usually sits at the same place on every frame, so the boxes found on
any frame are covered on every frame, *in addition to* each frame's own search (never instead of
it). Two passes keep memory flat for long series: the first searches every frame and keeps only
boxes, the second renders, paints and encodes one frame at a time and hands it to ``sink``.

Imports numpy, Pillow and pydicom (lazily), and the engine's own modules.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from . import encode as encode_mod
from . import redact
from .geometry import Box
from .model import CleanImage, DeidentifyPolicy, Refusal
from .pixels import check_pixels, detection_windows, scale_to_uint8
from .text_regions import TextTile


class StackEngine(Protocol):
    """What the stack needs of the engine (engine.Deidentifier): its policy, its worker pool and
    the per-frame search, with the detectors it loaded once."""

    policy: DeidentifyPolicy

    def pool(self) -> Executor: ...

    def stack_frame_boxes(self, renderings: Sequence[tuple[str, Image.Image]]) -> list[Box]: ...


# Detection reads a frame at its own size unless it is small: print on a 128 px frame is a few
# pixels tall, and the detector finds lines from about 10 px up.
MIN_DETECTION_SIDE = 384
# Extra windows (pixels.detection_windows) read besides the presets: the top of the range and the
# rank equalisation (text at the maximum over bone; text at one stored level).
EXTRA_WINDOWS = ("top_range", "equalised")
# Every this many frames (and the first, middle and last) one is read at every preset too.
THOROUGH_EVERY = 8


@dataclass(frozen=True)
class Preset:
    """One window/level choice of the viewer. ``center``/``width`` None: no window (colour, or the
    full range of the stored values)."""

    key: str
    label: str
    center: float | None
    width: float | None

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "center": self.center, "width": self.width}


CT_PRESETS = (
    Preset("soft_tissue", "Soft tissue (W400 L40)", 40.0, 400.0),
    Preset("lung", "Lung (W1500 L−600)", -600.0, 1500.0),
    Preset("bone", "Bone (W1800 L400)", 400.0, 1800.0),
    Preset("brain", "Brain (W80 L40)", 40.0, 80.0),
)


@dataclass(frozen=True)
class Frame:
    """One frame's values after the modality LUT (2-D float32), or RGB (3-D uint8) for colour."""

    values: np.ndarray
    monochrome1: bool
    instance: int  # index of the instance it came from, in stack order


@dataclass(frozen=True)
class StackFrame:
    """What the second pass hands to the sink: the frame's clean image at every preset, in the
    order of ``StackResult.presets``."""

    index: int
    instance: int
    presets: tuple[str, ...]  # the preset keys, in the order of ``images``
    images: tuple[CleanImage, ...]


@dataclass(frozen=True)
class StackResult:
    accepted: bool
    reason: str | None
    presets: tuple[Preset, ...] = ()
    frames: int = 0
    # What was covered on each frame, in stack order (the PS3.15 copies cover the same): x0, y0, x1, y1.
    boxes: tuple[tuple[tuple[int, int, int, int], ...], ...] = ()
    redacted_fraction: float = 0.0
    seconds_per_frame: float = 0.0


def presets_for(first_instance: bytes) -> tuple[Preset, ...]:
    """CT: the four classic presets. Otherwise the header's own window (when it has one) and the
    full range. Colour: one rendering, no window."""
    import pydicom  # lazy: heavy, and most uploads are photos

    ds = pydicom.dcmread(io.BytesIO(first_instance), stop_before_pixels=True)
    if int(ds.get("SamplesPerPixel", 1) or 1) > 1 or str(ds.get("PhotometricInterpretation", "")).startswith(
        ("RGB", "YBR", "PALETTE")
    ):
        return (Preset("colour", "Colour", None, None),)
    if str(ds.get("Modality", "") or "").upper() == "CT":
        return CT_PRESETS
    out = []
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is not None and width is not None:
        c = float(center[0] if _is_multi(center) else center)
        w = float(width[0] if _is_multi(width) else width)
        if w > 1:
            out.append(Preset("header", f"Default (W{w:g} L{c:g})", c, w))
    out.append(Preset("full_range", "Full range", None, None))
    return tuple(out)


def _is_multi(value: object) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__")


def iter_frames(instances: Sequence[bytes], policy) -> Iterator[Frame]:  # type: ignore[no-untyped-def]
    """Every frame of every instance, in stack order (instances already ordered by the caller)."""
    import pydicom
    from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

    for number, data in enumerate(instances):
        try:
            ds = pydicom.dcmread(io.BytesIO(data))
            check_pixels(int(ds.get("Columns", 0) or 0), int(ds.get("Rows", 0) or 0), policy)
            count = int(ds.get("NumberOfFrames", 1) or 1)
            arr = pixel_array(ds)
        except Refusal:
            raise
        except Exception as exc:
            raise Refusal(
                f"image {number + 1} of the stack cannot be decoded ({type(exc).__name__})"
            ) from None
        photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
        frames = arr if count > 1 else arr[None]
        for frame in frames:
            if photometric == "PALETTE COLOR":
                frame = apply_color_lut(frame, ds)
            if frame.ndim == 3:
                rgb = frame[..., :3]
                if rgb.dtype != np.uint8:
                    rgb = scale_to_uint8(rgb, 0, float(2 ** int(ds.get("BitsStored", 8) or 8) - 1))
                yield Frame(np.ascontiguousarray(rgb), False, number)
            else:
                values = apply_modality_lut(frame, ds).astype(np.float32)
                yield Frame(values, photometric == "MONOCHROME1", number)


def render(frame: Frame, preset: Preset) -> Image.Image:
    """The frame as an 8-bit image at ``preset`` (what the viewer shows)."""
    if frame.values.ndim == 3:
        return Image.fromarray(frame.values, "RGB")
    if preset.center is not None and preset.width is not None:
        out = scale_to_uint8(frame.values, preset.center - preset.width / 2, preset.center + preset.width / 2)
    else:
        vmin, vmax = float(frame.values.min()), float(frame.values.max())
        out = scale_to_uint8(frame.values, vmin, vmax)
    if frame.monochrome1:
        out = 255 - out
    return Image.fromarray(np.ascontiguousarray(out), "L")


def detection_renderings(frame: Frame, presets: Sequence[Preset]) -> list[tuple[str, Image.Image]]:
    """Each shared preset, plus the extra windows of the stored values."""
    out = [(f"preset_{p.key}", render(frame, p)) for p in presets]
    grey = frame.values if frame.values.ndim == 2 else frame.values.astype(np.float32).mean(axis=-1)
    out += [(f"window_{n}", v) for n, v in detection_windows(grey) if n in EXTRA_WINDOWS]
    return out


def native_tile(image: Image.Image, source: str, max_side: int) -> TextTile:
    """The whole rendering as one detector input at its own size (small frames enlarged, very
    large ones reduced to ``max_side``)."""
    width, height = image.size
    scale = 1.0
    if min(width, height) < MIN_DETECTION_SIDE:
        scale = MIN_DETECTION_SIDE / float(min(width, height))
    scale = (
        min(scale, max_side / float(max(width, height))) if max(width, height) * scale > max_side else scale
    )
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = image if size == image.size else image.resize(size, Image.Resampling.BILINEAR)
    arr = np.asarray(small.convert("RGB"))
    return TextTile(np.ascontiguousarray(arr[:, :, ::-1]), 0, scale, (width, height), source)


def deidentify_stack(
    engine: StackEngine,
    instances: Sequence[bytes],
    sink: Callable[[StackFrame], None],
    *,
    extra_boxes: Sequence[tuple[int, int, int, int]] = (),
) -> StackResult:
    """Search every frame, cover the union of what was found on every frame, encode each frame at
    each preset and pass it to ``sink`` in stack order. ``extra_boxes``: regions already covered
    elsewhere (the key image's report), covered on every frame too. Never raises for bad input:
    a refused result carries the reason, and ``sink`` may then have seen some frames (the caller
    deletes what it stored)."""
    try:
        return _run(engine, instances, sink, extra_boxes)
    except Refusal as refusal:
        return StackResult(False, refusal.reason)
    except Exception as exc:  # fail closed
        import logging

        logging.getLogger(__name__).exception("stack de-identification failed")
        return StackResult(False, f"internal error while de-identifying the stack ({type(exc).__name__})")


def frame_count(instances: Sequence[bytes]) -> int:
    """Frames in the stack, from the headers alone."""
    import pydicom

    total = 0
    for data in instances:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        total += int(ds.get("NumberOfFrames", 1) or 1)
    return total


def thorough(index: int, total: int) -> bool:
    """Frames read at every preset: the first, the middle, the last and every ``THOROUGH_EVERY``th.
    The others are read at the default preset and the extra windows (the ones that show text the
    presets clip), and get every box found on any frame as well."""
    return index % THOROUGH_EVERY == 0 or index in (total // 2, total - 1)


def propagated(per_frame: Sequence[Sequence[Box]], size: tuple[int, int], limit: float) -> list[Box]:
    """Boxes covered on every frame besides each frame's own: every box found anywhere when that
    stays within ``limit`` of the frame; otherwise (text that moves through the stack) the boxes
    found at the same place (IoU >= 0.5) on at least two frames."""
    everything = [b for boxes in per_frame for b in boxes]
    if coverage(everything, size) <= limit:
        return everything
    recurring = []
    for i, boxes in enumerate(per_frame):
        for box in boxes:
            if any(
                _iou(box, other) >= 0.5 for j, others in enumerate(per_frame) if j != i for other in others
            ):
                recurring.append(box)
    return recurring


def coverage(boxes: Sequence[Box], size: tuple[int, int]) -> float:
    clipped = [c for c in (b.clip(*size) for b in boxes) if c is not None]
    return redact.union_area(clipped) / float(size[0] * size[1])


def _iou(a: Box, b: Box) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a.area + b.area - inter) if inter else 0.0


def _run(
    engine: StackEngine,
    instances: Sequence[bytes],
    sink: Callable[[StackFrame], None],
    extra_boxes: Sequence[tuple[int, int, int, int]],
) -> StackResult:
    policy = engine.policy
    if not instances:
        raise Refusal("the stack is empty")
    presets = presets_for(instances[0])
    total = frame_count(instances)
    started = time.perf_counter()
    given = [Box(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in extra_boxes if x1 > x0 and y1 > y0]
    size: tuple[int, int] | None = None
    per_frame: list[list[Box]] = []
    # First pass: each frame's own search; only the boxes are kept.
    for index, frame in enumerate(iter_frames(instances, policy)):
        shape = (frame.values.shape[1], frame.values.shape[0])
        if size is None:
            size = shape
        elif shape != size:
            raise Refusal(
                f"frame {index + 1} is {shape[0]}x{shape[1]}, not {size[0]}x{size[1]} like the first"
            )
        searched = presets if thorough(index, total) else presets[:1]
        per_frame.append(engine.stack_frame_boxes(detection_renderings(frame, searched)))
    if size is None:
        raise Refusal("the stack has no frames")
    detect_seconds = time.perf_counter() - started
    shared = given + propagated(per_frame, size, policy.review_coverage)
    covers = [[c for c in (b.clip(*size) for b in (*own, *shared)) if c is not None] for own in per_frame]
    fraction = max(coverage(boxes, size) for boxes in covers)
    if fraction > policy.review_coverage:
        raise Refusal(
            f"the text and faces found would cover {100 * fraction:.0f} % of a frame of the stack "
            f"(more than {100 * policy.review_coverage:.0f} %); the stack was not shared"
        )
    # Second pass: every frame at every preset, covered, encoded and verified, one at a time.
    pool = engine.pool()
    for index, frame in enumerate(iter_frames(instances, policy)):
        images = tuple(
            encode_mod.build_clean_image(redact.paint(render(frame, p), covers[index])[0], policy, pool)
            for p in presets
        )
        sink(StackFrame(index, frame.instance, tuple(p.key for p in presets), images))
    return StackResult(
        True,
        None,
        presets=presets,
        frames=len(per_frame),
        boxes=tuple(tuple((b.x, b.y, b.right, b.bottom) for b in boxes) for boxes in covers),
        redacted_fraction=fraction,
        seconds_per_frame=detect_seconds / len(per_frame),
    )


def wait_all(jobs: list[Future], what: str, others: Sequence[Future] = ()) -> list:
    """Results of ``jobs`` concatenated; on a failure cancel everything still queued and refuse
    (fail closed)."""
    out: list = []
    for job in jobs:
        try:
            out.extend(job.result())
        except Exception as exc:
            for other in (*jobs, *others):
                other.cancel()
            raise Refusal(f"the {what} detector failed on a frame ({type(exc).__name__})") from None
    return out
