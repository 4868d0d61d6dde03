"""The stack of a received series (more than one frame): every frame de-identified at every window
preset into the shared media store, and every instance's PS3.15 copy into the private store.

``build_stack`` runs in a thread of the de-identification worker (it is all CPU and file writes;
the job is ``services.dicom_stack_job``). It returns what the job records (``StackFiles``) or the
refusal; on a refusal or an error every file it wrote is deleted before it returns, so a refused
stack leaves nothing. The job writes the rows in the transaction that settles it (``add_rows``);
the reads are in ``storage.repositories.dicom``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.deidentify.stack import StackFrame, deidentify_stack
from fediverse_cases.dicom import profile
from fediverse_cases.dicom.instances import Series
from fediverse_cases.media.attempt_keys import KeySequence
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import DicomSeries, DicomStackImage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFrame:
    frame: int
    preset: str
    media_key: str
    media_type: str
    width: int
    height: int


@dataclass
class StackFiles:
    presets: list[dict] = field(default_factory=list)
    frames: int = 0
    stored: list[StoredFrame] = field(default_factory=list)
    derivative_keys: list[str] = field(default_factory=list)
    # Covered on each instance (union of its frames' boxes): (x0, y0, x1, y1).
    boxes_by_instance: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    seconds_per_frame: float = 0.0

    def save_frame(self, state: AppState, frame: StackFrame, keys: KeySequence) -> None:
        """Store one de-identified frame's renderings (one per preset) under the attempt's keys."""
        for preset, image in zip(frame.presets, frame.images, strict=True):
            stored = state.media_store.save(image, keys.next())
            self.stored.append(
                StoredFrame(
                    frame.index,
                    preset,
                    stored.key,
                    image.media_type,
                    image.display_width,
                    image.display_height,
                )
            )

    def delete(self, state: AppState) -> None:
        for stored in self.stored:
            state.media_store.delete(stored.media_key)
        for key in self.derivative_keys:
            state.private_store.delete(key)


def has_stack(series: Series) -> bool:
    return len(series.instances) > 1 or series.key_instance.frames > 1


def build_stack(
    state: AppState,
    series: Series,
    options: profile.ProfileOptions,
    extra_boxes: Sequence[tuple[int, int, int, int]],
    seed: str,
) -> StackFiles | str:
    """The stored stack, or the sentence saying why it was refused (nothing then stays stored).
    Every file is written under a key derived from ``seed`` (``media.attempt_keys``), which the
    job recorded first: what a killed worker leaves, the next attempt finds and removes."""
    files = StackFiles()
    try:
        return _build(state, series, options, extra_boxes, files, seed)
    except BaseException:
        files.delete(state)
        raise


def _build(
    state: AppState,
    series: Series,
    options: profile.ProfileOptions,
    extra_boxes: Sequence[tuple[int, int, int, int]],
    files: StackFiles,
    seed: str,
) -> StackFiles | str:
    frame_instances: list[int] = []
    media_keys = KeySequence(seed, "media")
    private_keys = KeySequence(seed, "private")

    def sink(frame: StackFrame) -> None:
        files.save_frame(state, frame, media_keys)
        frame_instances.append(frame.instance)

    result = deidentify_stack(
        state.deidentifier, [i.data for i in series.instances], sink, extra_boxes=list(extra_boxes)
    )
    if not result.accepted:
        files.delete(state)
        return f"the stack was refused by de-identification: {result.reason}"
    files.presets = [p.to_json() for p in result.presets]
    files.frames = result.frames
    files.seconds_per_frame = result.seconds_per_frame
    for index, boxes in enumerate(result.boxes):
        files.boxes_by_instance.setdefault(frame_instances[index], []).extend(boxes)
    secret = state.settings.session_secret.encode()
    for number, instance in enumerate(series.instances):
        files.derivative_keys.append(
            state.private_store.put(
                ps315_copy(
                    instance.data,
                    instance.patient_key,
                    options,
                    secret,
                    files.boxes_by_instance.get(number, []),
                ),
                private_keys.next(),
            )
        )
    log.info("stack of %d frames de-identified, %.2f s per frame", result.frames, result.seconds_per_frame)
    return files


def ps315_copy(
    data: bytes,
    patient_key: str,
    options: profile.ProfileOptions,
    secret: bytes,
    boxes: Sequence[tuple[int, int, int, int]],
) -> bytes:
    import pydicom  # lazy: see deidentify/dicom.py

    ds = pydicom.dcmread(io.BytesIO(data))
    profile.apply_profile(ds, options, secret=secret, patient_key=patient_key, clean_boxes=list(boxes))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def add_rows(db: AsyncSession, row: DicomSeries, files: StackFiles) -> None:
    """Record the stack on its series row (flushed, so it has an id)."""
    row.stack_presets = files.presets
    row.stack_frames = files.frames
    row.derivative_keys = files.derivative_keys
    for stored in files.stored:
        db.add(
            DicomStackImage(
                case_id=row.case_id,
                series_id=row.id,
                frame=stored.frame,
                preset=stored.preset,
                media_key=stored.media_key,
                media_type=stored.media_type,
                width=stored.width,
                height=stored.height,
            )
        )
