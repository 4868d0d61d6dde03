"""The de-identification pipeline: decode -> manual regions -> crop -> detect faces and text
(concurrently, on downscaled copies; text on several renderings, see text_passes.py) -> read poorly
read boxes again -> decide -> hand over for review when the boxes would cover too much -> paint ->
re-encode -> verify -> report.

``Deidentifier`` is built once per process and is safe to call from several threads; models load
lazily, once. Bad input never raises: it comes back as a refused result with a precise reason.
Any failure of a detector or of verification also refuses (fail closed). Imports only the engine's
own modules and the standard library at module level.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import decode as decode_mod
from . import encode as encode_mod
from . import phi_text, redact, text_passes
from . import stack as stack_mod
from .faces import FaceDetector
from .geometry import Box
from .model import DeidentificationResult, DeidentifyPolicy, Refusal
from .report import DeidentificationReport, FaceFinding, TextFinding
from .text_regions import TextBox, TextDetector, decide, label_like, line_shaped, merge_passes, plan_tiles

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)


@dataclass
class _Draft:
    """Report fields gathered while the pipeline runs."""

    fields: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = (now - self._t) * 1000.0
        self._t = now


class Deidentifier:
    """Build once per process: ``Deidentifier(policy).process(data, ...)``."""

    def __init__(self, policy: DeidentifyPolicy | None = None) -> None:
        self.policy = policy or DeidentifyPolicy()
        self._workers = max(2, min(4, os.cpu_count() or 2))
        self._faces = FaceDetector(self.policy, instances=self._workers)
        self._text = TextDetector(self.policy, threads=1)
        self._pool_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._versions: dict[str, str] | None = None

    def detectors(self) -> dict[str, str]:
        """Versions of the detectors and decoders (read once: the first lookup costs ~0.1 s)."""
        if self._versions is None:
            self._versions = self._read_versions()
        return dict(self._versions)

    @staticmethod
    def _read_versions() -> dict[str, str]:
        from importlib.metadata import version

        return {
            "faces": FaceDetector.version(),
            "text": TextDetector.version(),
            "pillow": version("pillow"),
            "pillow_heif": version("pillow-heif"),
            "pydicom": version("pydicom"),
        }

    def warm_up(self) -> None:
        """Load now what the policy will use (otherwise the first image pays for it): the face
        models, the OCR models and the name lists the text categories need, the versions. In the
        order a cold call needs them: the detectors first (they run right after decoding), the
        versions last (only the report needs them)."""
        if self.policy.cover_text:
            self._text.load()
        if self.policy.cover_faces:
            self._faces.load()
        if self.policy.cover_text:
            phi_text.warm_up()
        self.detectors()

    def pool(self) -> ThreadPoolExecutor:
        """The engine's worker pool (the stack path encodes on it too)."""
        return self._executor()

    def stack_frame_boxes(self, renderings: Sequence[tuple[str, Image.Image]]) -> list[Box]:
        """The boxes to cover on one frame of a stack (stack.py): text searched on every rendering
        at the frame's own size in one band, faces on the first (the default preset), judged as
        for photos. Any detector failure refuses (fail closed)."""
        policy = self.policy
        pool = self._executor()
        image = renderings[0][1]
        text_jobs: list[Future] = []
        face_jobs: list[Future] = []
        plan = None
        if policy.cover_text:
            text_jobs = [
                pool.submit(self._text.read_tile, stack_mod.native_tile(view, name, policy.ocr_max_side))
                for name, view in renderings
            ]
        if policy.cover_faces:
            plan = self._faces.plan(image)
            face_jobs = [pool.submit(self._faces.search, plan, r) for r in policy.face_rotations]
        texts = stack_mod.wait_all(text_jobs, "text", others=face_jobs)
        raw_faces = stack_mod.wait_all(face_jobs, "face")
        faces = self._faces.merge(plan, raw_faces) if plan is not None else []
        boxes = [redact.with_margin(face.box, policy.face_margin) for face in faces]
        for tb, covered, _category in self._judge_text(image, texts):
            if covered:
                boxes.append(redact.around_text(tb.box, policy.text_margin))
        return boxes

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="deidentify")
            return self._pool

    def process(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        declared_type: str | None = None,
        regions: Sequence[Box] = (),
        crop: Box | None = None,
    ) -> DeidentificationResult:
        draft = _Draft()
        try:
            return self._run(draft, bytes(data), filename, declared_type, tuple(regions), crop)
        except Refusal as refusal:
            return self._refused(draft, refusal.reason)
        except Exception:  # fail closed: an unexpected error never lets an image through
            log.exception("de-identification failed")
            return self._refused(draft, "internal error while de-identifying; the image was not accepted")

    def _refused(self, draft: _Draft, reason: str) -> DeidentificationResult:
        # Looked up when the report is built, not first: in a cold CLI call the warm-up thread
        # has read the versions by then, and the main thread starts decoding ~0.08 s sooner.
        draft.fields["detectors"] = self.detectors()
        report = DeidentificationReport(
            decision="refused", reason=reason, timings_ms=draft.timings, **draft.fields
        )
        return DeidentificationResult(accepted=False, reason=reason, image=None, report=report)

    def _run(
        self,
        draft: _Draft,
        data: bytes,
        filename: str | None,
        declared_type: str | None,
        regions: tuple[Box, ...],
        crop: Box | None,
    ) -> DeidentificationResult:
        policy = self.policy
        for item in (*regions, crop):
            if item is not None and not isinstance(item, Box):
                raise TypeError("regions and crop must be Box instances")
        decoded = decode_mod.decode(data, policy, filename, declared_type)
        image = decoded.image
        draft.fields.update(
            source_format=decoded.source_format,
            source_width=image.width,
            source_height=image.height,
            orientation_applied=decoded.orientation,
            metadata_removed=tuple(sorted(decoded.metadata_found)),
            dicom=decoded.dicom,
        )
        draft.lap("decode")

        manual = tuple(b for b in (r.clip(image.width, image.height) for r in regions) if b is not None)
        draft.fields["manual_regions"] = manual
        views = decoded.detection_views
        if manual:
            image, _ = redact.paint(image, manual)
            views = tuple((name, redact.paint(v, manual)[0]) for name, v in views)
        offset = (0, 0)
        if crop is not None:
            image, used = redact.crop(image, crop)
            views = tuple((name, redact.crop(v, crop)[0]) for name, v in views)
            offset = (used.x, used.y)
            draft.fields["crop"] = used
        draft.lap("manual_and_crop")

        renderings = text_passes.renderings(image, views, policy) if policy.cover_text else []
        draft.fields["detection_passes"] = tuple(r.name for r in renderings)
        faces, texts = self._detect(image, renderings, draft)
        boxes: list[Box] = []
        face_findings = []
        for face in faces:
            boxes.append(redact.with_margin(face.box, policy.face_margin))
            face_findings.append(FaceFinding(face.box.shift(*offset), face.confidence, face.rotation))
        text_findings = []
        for tb, covered, category in self._judge_text(image, texts):
            if covered:
                boxes.append(redact.around_text(tb.box, policy.text_margin))
            text_findings.append(
                TextFinding(
                    tb.box.shift(*offset),
                    len(tb.text),
                    category,
                    tb.confidence,
                    covered,
                    source=tb.source,
                    reread=tb.reread,
                )
            )
        draft.fields["faces"] = tuple(face_findings)
        draft.fields["text_regions"] = tuple(text_findings)
        total = image.width * image.height
        automatic = _union_fraction(boxes, image.width, image.height) if total else 0.0
        if automatic > policy.review_coverage:
            # Fail closed, but do not black the image out silently: nothing is painted or shared,
            # and the clinician and the reviewer see the proposed boxes and decide.
            draft.fields["redacted_fraction"] = automatic
            draft.lap("redact")
            return self._needs_review(draft, boxes, offset, automatic)
        if boxes:
            # In place: ``image`` is the engine's own (a fresh decode, or a painted or cropped
            # copy of it) and the detectors are done with it.
            image, _ = redact.paint(image, boxes, in_place=True)
        all_boxes = boxes + [b.shift(-offset[0], -offset[1]) for b in manual]
        draft.fields["redacted_fraction"] = (
            _union_fraction(all_boxes, image.width, image.height) if total else 0.0
        )
        draft.lap("redact")

        clean = encode_mod.build_clean_image(image, policy, self._executor())
        draft.fields.update(
            output_media_type=clean.media_type, output_width=clean.width, output_height=clean.height
        )
        draft.lap("encode_and_verify")
        draft.fields["detectors"] = self.detectors()
        report = DeidentificationReport(
            decision="accepted", reason=None, timings_ms=draft.timings, **draft.fields
        )
        return DeidentificationResult(accepted=True, reason=None, image=clean, report=report)

    def _needs_review(
        self, draft: _Draft, boxes: list[Box], offset: tuple[int, int], fraction: float
    ) -> DeidentificationResult:
        policy = self.policy
        reason = (
            f"the detected faces and text would cover {100 * fraction:.0f} % of the image (more than "
            f"{100 * policy.review_coverage:.0f} %); nothing was covered or shared: review the "
            "proposed boxes, crop or mark the regions yourself, and submit again"
        )
        draft.fields["detectors"] = self.detectors()
        report = DeidentificationReport(
            decision="needs_review",
            reason=reason,
            timings_ms=draft.timings,
            proposed_boxes=tuple(b.shift(*offset) for b in boxes),
            review_coverage=policy.review_coverage,
            **draft.fields,
        )
        return DeidentificationResult(
            accepted=False, reason=reason, image=None, report=report, needs_review=True
        )

    def _judge_text(self, image, texts: list[TextBox]) -> list[tuple[TextBox, bool, str]]:
        """(box, cover?, category) for every text line found by any pass. Lines the recogniser
        read poorly are read again (enhanced, rotated); what still cannot be read is covered when
        it looks like print on a label (fail closed) and otherwise treated as texture."""
        policy = self.policy
        merged = merge_passes(texts)
        doubtful = [
            i
            for i, tb in enumerate(merged)
            if tb.confidence < policy.text_allow_confidence and line_shaped(tb.box, image.size)
        ]
        # Largest first: a cap (policy.max_rereads) should spend its reads on label lines, not specks.
        doubtful.sort(key=lambda i: -merged[i].box.area)
        pool = self._executor()
        jobs = {i: pool.submit(self._text.reread, image, merged[i]) for i in doubtful[: policy.max_rereads]}
        for i, job in jobs.items():
            try:
                merged[i] = job.result()
            except Exception as exc:
                log.exception("text re-read failed")
                raise Refusal(
                    f"the text detector failed ({type(exc).__name__}); the image was not accepted"
                ) from None
        grey = None
        out = []
        for tb in merged:
            label = False
            if tb.confidence < policy.text_min_confidence and line_shaped(tb.box, image.size):
                if grey is None:
                    grey = np.asarray(image.convert("L"))
                label = label_like(grey, tb.box)
            covered, category = decide(tb, image.size, policy, label=label)
            out.append((tb, covered, category))
        return out

    def _detect(self, image, renderings: list[text_passes.Rendering], draft: _Draft):
        """Faces and text, as independent single-threaded tasks on the shared worker pool: one per
        text band of each rendering and one per face rotation. Any task that fails refuses the
        image."""
        policy = self.policy
        pool = self._executor()
        text_jobs: list[Future] = []
        face_jobs: list[Future] = []
        plan = None
        try:
            for rendering in renderings:
                tiles = plan_tiles(rendering.image, policy, rendering.name, rendering.derive)
                text_jobs += [pool.submit(self._timed, self._text.read_tile, t) for t in tiles]
            if policy.cover_faces:
                plan = self._faces.plan(image)
                face_jobs = [
                    pool.submit(self._timed, self._faces.search, plan, r) for r in policy.face_rotations
                ]
        except Exception as exc:  # preparing the copies failed: nothing may run on
            for job in (*text_jobs, *face_jobs):
                job.cancel()
            raise Refusal(
                f"detection could not start ({type(exc).__name__}); the image was not accepted"
            ) from None
        texts, text_ms = self._collect(text_jobs, face_jobs, "text")
        raw_faces, face_ms = self._collect(face_jobs, [], "face")
        faces = self._faces.merge(plan, raw_faces) if plan is not None else []
        draft.lap("detect")
        draft.timings["detect_faces"] = face_ms
        draft.timings["detect_text"] = text_ms
        return faces, texts

    @staticmethod
    def _collect(jobs: list[Future], others: list[Future], what: str) -> tuple[list, float]:
        """Results of ``jobs`` concatenated and their summed CPU-side time; on a failure, cancel
        everything still queued and refuse."""
        out: list = []
        total_ms = 0.0
        for job in jobs:
            try:
                found, ms = job.result()
            except Exception as exc:
                for other in (*jobs, *others):
                    other.cancel()
                log.exception("%s detector failed", what)
                raise Refusal(
                    f"the {what} detector failed ({type(exc).__name__}); the image was not accepted"
                ) from None
            out.extend(found)
            total_ms += ms
        return out, total_ms

    @staticmethod
    def _timed(fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        return out, (time.perf_counter() - t) * 1000.0


def _union_fraction(boxes: list[Box], width: int, height: int) -> float:
    if not boxes or not width or not height:
        return 0.0
    clipped = [c for c in (b.clip(width, height) for b in boxes) if c is not None]
    return redact.union_area(clipped) / float(width * height)
