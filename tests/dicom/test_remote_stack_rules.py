"""What we accept of a peer's stack, and what our de-identification does to it.

The real engine on rendered frames (deidentify.rendered_stack): text a peer left on one preset of
one frame is found and covered, on every frame at every preset; a frame that cannot be decoded or
has another size refuses the stack. The collection's checks (federation.remote_stack): the frame
bound, the case's own host for every frame, the collection of this case only; a Note's stack Links
only on its own host.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from fediverse_cases.deidentify.rendered_stack import deidentify_rendered_stack
from fediverse_cases.deidentify.stack import StackFrame
from fediverse_cases.federation.remote_stack import (
    MAX_FRAMES,
    MAX_PRESETS,
    MAX_STACKS,
    StackRefused,
    parse_stack,
    stack_links,
)
from tests.support.dicom_studies import BURNED_TEXT, FONT

CASE = "https://a.example/cases/3f2a"
HREF = f"{CASE}/stacks/0"
PRESETS = ("soft_tissue", "lung")


def rendering(seed: int, size: int = 256, text: str = "") -> bytes:
    """A grey 'slice' with a round organ; ``text`` burned in white at the bottom left."""
    grey = np.full((size, size), 60, np.uint8)
    yy, xx = np.mgrid[0:size, 0:size]
    grey[(yy - size // 2 - seed) ** 2 + (xx - size // 2) ** 2 < (size // 6) ** 2] = 200
    image = Image.fromarray(grey, "L")
    if text:
        ImageDraw.Draw(image).text((8, size - 34), text, fill=255, font=ImageFont.truetype(FONT, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def stack_of(frames: int, text_at: tuple[int, str] | None = None) -> list[tuple[tuple[str, str, bytes], ...]]:
    out = []
    for index in range(frames):
        out.append(
            tuple(
                (
                    preset,
                    "image/png",
                    rendering(index, text=BURNED_TEXT if text_at == (index, preset) else ""),
                )
                for preset in PRESETS
            )
        )
    return out


def run(state, frames) -> tuple[object, list[StackFrame]]:  # type: ignore[no-untyped-def]
    seen: list[StackFrame] = []
    return deidentify_rendered_stack(state.deidentifier, frames, seen.append), seen


async def test_text_on_one_preset_of_one_frame_is_covered_everywhere(state, read_text) -> None:  # type: ignore[no-untyped-def]
    result, seen = run(state, stack_of(4, text_at=(2, "lung")))
    assert result.accepted, result.reason
    assert [frame.index for frame in seen] == [0, 1, 2, 3]
    assert all(frame.presets == PRESETS for frame in seen)
    # The box found on frame 3's lung rendering is covered on every frame (a series' text sits at
    # the same place on every slice) and nothing of the name is readable anywhere.
    assert all(result.boxes[i] for i in range(4))
    for frame in seen:
        for image in frame.images:
            for data in (image.data, image.display):
                read = " ".join(read_text(Image.open(io.BytesIO(data)))).upper()
                assert not any(word in read for word in BURNED_TEXT.split()), (frame.index, read)


async def test_a_frame_that_cannot_be_decoded_or_differs_in_size_refuses_the_stack(state) -> None:  # type: ignore[no-untyped-def]
    broken = stack_of(3)
    broken[1] = (broken[1][0], ("lung", "image/png", broken[1][1][2][:200]))
    result, seen = run(state, broken)
    assert not result.accepted and "image 2 of the stack (lung)" in (result.reason or "")
    assert seen == []

    odd = stack_of(3)
    odd[2] = tuple((p, t, rendering(2, size=200)) for p, t, _d in odd[2])
    result, seen = run(state, odd)
    assert not result.accepted and "200x200, not 256x256" in (result.reason or ""), result.reason
    assert seen == []


def collection(frames: int, *, frame_host: str = "a.example", context: str = CASE) -> dict:
    return {
        "id": HREF,
        "type": "OrderedCollection",
        "context": context,
        "totalItems": frames,
        "fediverseCases:windowPresets": [{"key": p, "name": p.title()} for p in PRESETS],
        "orderedItems": [
            {
                "type": "Image",
                "url": [
                    {
                        "type": "Link",
                        "href": f"https://{frame_host if i == 1 else 'a.example'}/media/{i}{p}-display.png",
                        "mediaType": "image/png",
                        "fediverseCases:windowPreset": p,
                    }
                    for p in PRESETS
                ],
            }
            for i in range(frames)
        ],
    }


def test_the_collection_is_bounded_and_only_from_the_cases_host() -> None:
    stack = parse_stack(collection(3), HREF, CASE)
    assert len(stack.frames) == 3 and [p["key"] for p in stack.presets] == list(PRESETS)
    assert stack.frames[0].renderings[0] == (
        "soft_tissue",
        "image/png",
        "https://a.example/media/0soft_tissue-display.png",
    )
    with pytest.raises(StackRefused, match=f"at most {MAX_FRAMES}"):
        parse_stack(collection(MAX_FRAMES + 1), HREF, CASE)
    with pytest.raises(StackRefused, match="not on the case's host"):
        parse_stack(collection(3, frame_host="elsewhere.example"), HREF, CASE)
    with pytest.raises(StackRefused, match="not a stack of"):
        parse_stack(collection(3, context="https://a.example/cases/other"), HREF, CASE)


def test_a_notes_stack_links_count_only_on_its_own_host() -> None:
    note = {
        "id": CASE,
        "attachment": [
            {"type": "Image", "url": "https://a.example/media/x-display.png"},
            {"type": "Link", "href": HREF, "rel": "fediverseCases:stack"},
            {"type": "Link", "href": "https://b.example/cases/1/stacks/0", "rel": "fediverseCases:stack"},
            {"type": "Link", "href": f"{CASE}/stacks/1", "rel": "alternate"},
        ],
    }
    assert stack_links(note) == [HREF]
    many = {
        "id": CASE,
        "attachment": [
            {"type": "Link", "href": f"{CASE}/stacks/{i}", "rel": "fediverseCases:stack"} for i in range(12)
        ],
    }
    assert stack_links(many) == [f"{CASE}/stacks/{i}" for i in range(MAX_STACKS)]


def test_only_the_first_presets_are_fetched() -> None:
    document = collection(2)
    names = [f"p{i}" for i in range(MAX_PRESETS + 2)]
    document["fediverseCases:windowPresets"] = [{"key": n, "name": n} for n in names]
    for item in document["orderedItems"]:
        item["url"] = [
            {
                "type": "Link",
                "href": f"https://a.example/media/{n}.png",
                "mediaType": "image/png",
                "fediverseCases:windowPreset": n,
            }
            for n in names
        ]
    stack = parse_stack(document, HREF, CASE)
    assert [p["key"] for p in stack.presets] == names[:MAX_PRESETS]
    assert all(len(frame.renderings) == MAX_PRESETS for frame in stack.frames)


async def test_a_stack_whose_origin_cannot_be_reached_is_tried_again_later(state) -> None:  # type: ignore[no-untyped-def]
    """The job (not the inbox) meets the unreachable origin: it stays pending, retried with
    backoff; the case keeps its key frames meanwhile."""
    from fediverse_cases.federation.remote_stack import queue_fetch
    from fediverse_cases.services import deid_jobs
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.peers import allow_peer
    from fediverse_cases.storage.base import utcnow
    from fediverse_cases.storage.models import Actor, Case, DeidJob
    from tests.support.live import free_port

    host = f"127.0.0.1:{free_port()}"  # an allowed peer that nothing answers for
    async with state.transaction() as db:
        await allow_peer(db, state, host, Operator.system(), scheme="http")
        actor = Actor(uri=f"http://{host}/users/ada", username="ada", host=host, is_local=False)
        db.add(actor)
        await db.flush()
        case = Case(
            public_id="f" * 20,
            ap_id=f"http://{host}/cases/{'f' * 20}",
            author_actor_id=actor.id,
            is_local=False,
            state="published",
            visibility="public",
        )
        db.add(case)
        await db.flush()
        queued = queue_fetch(db, case)
        await db.flush()
        job_id = queued.id
    assert await deid_jobs.run_once(state) == 1
    async with state.sessionmaker() as db:
        job = await db.get(DeidJob, job_id)
    assert job is not None and job.kind == "remote_stack"
    assert (job.state, job.attempts) == ("pending", 1), job.last_error
    assert "cannot fetch" in job.last_error and job.next_attempt_at > utcnow()


def test_the_bounds_are_the_documented_values() -> None:
    """FEDERATION.md, Receiving a stack: "at most 10 stacks per case, 500 frames per stack, 4
    window presets per frame ... and 256 MiB per stack in all" (the byte budget's refusal is
    driven against a live origin in tests/e2e/test_e2e_stack_two_instances.py)."""
    import inspect

    from fediverse_cases.federation import remote_stack

    assert (remote_stack.MAX_STACKS, remote_stack.MAX_FRAMES, remote_stack.MAX_PRESETS) == (10, 500, 4)
    assert remote_stack.MAX_STACK_BYTES == 256 * 1024 * 1024
    default = inspect.signature(remote_stack.download_frames).parameters["max_bytes"].default
    assert default == remote_stack.MAX_STACK_BYTES


async def test_purging_a_peer_deletes_the_frames_of_its_cases_stacks(state) -> None:  # type: ignore[no-untyped-def]
    """Removing a peer with its content (``peers remove --purge``) deletes the files of the stacks
    fetched for its cases along with their images."""
    from fediverse_cases.deidentify.encode import build_clean_image
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.peers import allow_peer, remove_peer
    from fediverse_cases.storage.models import Actor, Case, CaseImage, DicomSeries, DicomStackImage

    def stored() -> str:
        clean = build_clean_image(Image.open(io.BytesIO(rendering(0))), state.deidentifier.policy)
        return state.media_store.save(clean).key

    host = "peer.example"
    async with state.transaction() as db:
        await allow_peer(db, state, host, Operator.system())
        actor = Actor(uri=f"https://{host}/users/ada", username="ada", host=host, is_local=False)
        db.add(actor)
        await db.flush()
        case = Case(
            public_id="e" * 20,
            ap_id=f"https://{host}/cases/1",
            author_actor_id=actor.id,
            is_local=False,
            state="published",
        )
        db.add(case)
        await db.flush()
        image = CaseImage(case_id=case.id, position=0, media_key=stored(), media_type="image/png")
        db.add(image)
        await db.flush()
        series = DicomSeries(case_id=case.id, case_image_id=image.id, received_via="remote", stack_frames=2)
        db.add(series)
        await db.flush()
        frames = [stored(), stored()]
        for index, key in enumerate(frames):
            db.add(
                DicomStackImage(
                    case_id=case.id,
                    series_id=series.id,
                    frame=index,
                    preset="soft_tissue",
                    media_key=key,
                    media_type="image/png",
                    width=256,
                    height=256,
                )
            )
    keys = [image.media_key, *frames]
    assert all(state.media_store.files(key) for key in keys)
    async with state.transaction() as db:
        result = await remove_peer(db, state, host, Operator.system(), purge=True)
    assert result.purged_media == 3
    assert not any(state.media_store.files(key) for key in keys)
    async with state.sessionmaker() as db:
        assert (await db.scalars(select(DicomStackImage))).all() == []
