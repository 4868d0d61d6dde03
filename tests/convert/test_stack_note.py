"""A DICOM series in a Note: a bounded, ordered list of key frames (Image attachments) that
Mastodon-style servers show, then a Link to the whole stack that fediverse-cases peers follow."""

from __future__ import annotations

from fediverse_cases.activitypub import Note
from fediverse_cases.convert import case_from_note, note_from_case
from fediverse_cases.convert.cases import MAX_ATTACHMENTS, STACK_KEY_FRAMES, stack_collection
from fediverse_cases.storage.repositories.dicom import CaseStack
from tests.convert.test_convert_notes import URLS, FakeActor, FakeCase, FakeImage

PRESETS = [
    {"key": "soft_tissue", "label": "Soft tissue (W400 L40)", "center": 40.0, "width": 400.0},
    {"key": "lung", "label": "Lung (W1500 L−600)", "center": -600.0, "width": 1500.0},
]


def _stack(frames: int) -> CaseStack:
    return CaseStack(
        image_id=1,
        modality="CT",
        presets=PRESETS,
        frames=[
            {p["key"]: (f"{n:02d}{p['key'][:2]}".ljust(32, "0"), "image/png") for p in PRESETS}
            for n in range(frames)
        ],
        width=512,
        height=512,
    )


def _frame_of(url: str) -> int:
    return int(url.rsplit("/", 1)[1][:2])


def test_a_series_is_sent_as_four_evenly_spaced_frames_then_a_link_to_the_whole_stack() -> None:
    image = FakeImage(0, "k" * 32, alt_text="Axial CT")
    note = note_from_case(FakeCase(), [image], [], FakeActor(), URLS, stacks={0: _stack(40)})

    images = [a for a in note["attachment"] if a["type"] == "Image"]
    assert STACK_KEY_FRAMES == 4 and len(images) == STACK_KEY_FRAMES
    assert [_frame_of(a["url"]) for a in images] == [0, 13, 26, 39]  # first, last, evenly between
    assert all(a["url"].endswith("so" + "0" * 28 + "-display.png") for a in images)  # the default preset
    assert [a["name"] for a in images] == [f"Axial CT (image {n} of 40)" for n in (1, 14, 27, 40)]
    assert note["attachment"][-1] == {
        "type": "Link",
        "href": "https://a.example/cases/c1/stacks/0",
        "mediaType": "application/activity+json",
        "rel": "fediverseCases:stack",
        "name": "All 40 images of the series (stack)",
    }
    # A peer keeps the key frames, in order, as the case's images; the Link is not an image.
    received = case_from_note(Note.from_json(note))
    assert [_frame_of(i.url) for i in received.images] == [0, 13, 26, 39]


def test_the_bound_shrinks_with_more_images_so_a_note_never_carries_more_than_ten() -> None:
    photos = [FakeImage(n, f"{n}" * 32) for n in range(1, 3)]
    note = note_from_case(
        FakeCase(), [FakeImage(0, "k" * 32), *photos], [], FakeActor(), URLS, stacks={0: _stack(40)}
    )
    images = [a for a in note["attachment"] if a["type"] == "Image"]
    assert [_frame_of(a["url"]) for a in images[:3]] == [0, 20, 39]  # 10 // 3 images: three frames
    assert [a["url"].rsplit("/", 1)[1][:32] for a in images[3:]] == ["1" * 32, "2" * 32]

    many = [FakeImage(n, f"{n}" * 32) for n in range(1, 10)]
    note = note_from_case(
        FakeCase(), [FakeImage(0, "k" * 32), *many], [], FakeActor(), URLS, stacks={0: _stack(40)}
    )
    images = [a for a in note["attachment"] if a["type"] == "Image"]
    assert len(images) == MAX_ATTACHMENTS and _frame_of(images[0]["url"]) == 20  # the middle frame
    assert note["attachment"][-1]["type"] == "Link"

    short = note_from_case(FakeCase(), [FakeImage(0, "k" * 32)], [], FakeActor(), URLS, stacks={0: _stack(3)})
    assert [_frame_of(a["url"]) for a in short["attachment"] if a["type"] == "Image"] == [0, 1, 2]


def test_the_stack_collection_lists_every_frame_in_order_at_every_preset() -> None:
    collection = stack_collection(FakeCase(), FakeImage(0, "k" * 32, alt_text="Axial CT"), _stack(12), URLS)
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 12
    assert collection["id"] == "https://a.example/cases/c1/stacks/0"
    assert collection["context"] == "https://a.example/cases/c1"
    assert [p["windowCenter"] for p in collection["fediverseCases:windowPresets"]] == [40.0, -600.0]
    items = collection["orderedItems"]
    assert [_frame_of(item["url"][0]["href"]) for item in items] == list(range(12))
    assert [link["fediverseCases:windowPreset"] for link in items[5]["url"]] == ["soft_tissue", "lung"]
    assert items[5]["name"] == "Axial CT (image 6 of 12)"
