"""Demo seeding of sample cases: a handful of public, published cases by ``clinician`` with
generated clinical-looking images (no real patient ever), plus a short discussion.

Runs after the demo accounts exist (``demo.seed.seed_demo``), through the real pipeline
(``case_factory.create_published_case``: de-identification, consent, review) and the real
comment service. Idempotent: a sample whose caption ``clinician`` already has is skipped.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from fediverse_cases.core.case_access import Viewer
from fediverse_cases.services.case_factory import create_published_case
from fediverse_cases.services.comments import post_comment
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories.accounts import get_account_by_username, get_actor_for_account
from fediverse_cases.storage.repositories.cases import get_case
from fediverse_cases.storage.repositories.comments import get_comment
from fediverse_cases.storage.repositories.feeds import has_case_with_caption

SIZE = 384


def _jpeg(image: Image.Image) -> bytes:
    # JPEG, like a camera or PACS export (the factory names uploads ``*.jpg``).
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _noise(rng: np.random.Generator, array: np.ndarray, amount: float) -> np.ndarray:
    return np.clip(array + rng.normal(0, amount, array.shape), 0, 255)


def chest_radiograph(rng: np.random.Generator) -> bytes:
    """Dark field, a bright thorax with darker lung fields, rib arcs, spine and heart shadow."""
    image = Image.new("L", (SIZE, SIZE), 12)
    draw = ImageDraw.Draw(image)
    c = SIZE // 2
    draw.ellipse((40, 30, SIZE - 40, SIZE + 60), fill=120)
    draw.ellipse((62, 60, c - 12, SIZE - 40), fill=48)
    draw.ellipse((c + 12, 60, SIZE - 62, SIZE - 40), fill=48)
    for i in range(9):
        top = 70 + i * 30
        draw.arc((56, top, c + 8, top + 70), 190, 340, fill=170, width=6)
        draw.arc((c - 8, top, SIZE - 56, top + 70), 200, 350, fill=170, width=6)
    draw.rectangle((c - 12, 20, c + 12, SIZE), fill=165)
    draw.ellipse((c - 40, c + 10, c + 70, SIZE - 50), fill=140)
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(4)), dtype=np.float64)
    return _jpeg(Image.fromarray(_noise(rng, blurred, 6).astype(np.uint8), "L"))


def skin_lesion(rng: np.random.Generator) -> bytes:
    """Skin-toned field with an irregular, darker pigmented lesion and a red halo."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    angle = np.arctan2(y - SIZE / 2, x - SIZE / 2)
    radius = np.hypot(y - SIZE / 2, x - SIZE / 2)
    edge = 70 + 12 * np.sin(3 * angle) + 8 * np.cos(5 * angle + 1)
    base = np.stack([np.full_like(x, 214.0), np.full_like(x, 170.0), np.full_like(x, 150.0)], axis=-1)
    halo = np.clip(1 - np.abs(radius - edge - 14) / 18, 0, 1)[..., None] * np.array([10.0, -35.0, -35.0])
    lesion = (radius < edge)[..., None] * (np.array([105.0, 62.0, 48.0]) - base) * 0.9
    pixels = _noise(rng, base + halo + lesion, 5)
    blurred = Image.fromarray(pixels.astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(1.5))
    return _jpeg(blurred)


def ecg_strip(rng: np.random.Generator) -> bytes:
    """Pink millimetre grid with a sinus rhythm trace with ST elevation."""
    width, height = SIZE * 2, SIZE // 2
    pixels = np.full((height, width, 3), (253, 236, 236), dtype=np.uint8)
    pixels[:, ::8] = (245, 190, 190)
    pixels[::8, :] = (245, 190, 190)
    pixels[:, ::40] = (230, 140, 140)
    pixels[::40, :] = (230, 140, 140)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    baseline = height * 0.6
    points = []
    for x in range(width):
        t = (x % 150) / 150
        value = 6 * np.exp(-(((t - 0.15) / 0.03) ** 2))  # P
        value += -8 * np.exp(-(((t - 0.30) / 0.008) ** 2)) + 60 * np.exp(-(((t - 0.32) / 0.01) ** 2))  # QRS
        value += 14 * (0.34 < t < 0.45)  # elevated ST segment
        value += 16 * np.exp(-(((t - 0.52) / 0.05) ** 2))  # T
        points.append((x, baseline - value + rng.normal(0, 0.4)))
    draw.line(points, fill=(20, 20, 20), width=2)
    return _jpeg(image)


def ct_slice(rng: np.random.Generator) -> bytes:
    """Axial abdomen-like slice: body outline, fat, organs, vertebral body, a hypodense lesion."""
    image = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 70, SIZE - 30, SIZE - 50), fill=70)
    draw.ellipse((44, 84, SIZE - 44, SIZE - 64), fill=105)
    draw.ellipse((70, 110, 220, 250), fill=125)  # liver
    draw.ellipse((235, 120, 320, 200), fill=118)  # spleen
    draw.ellipse((160, 250, 225, 310), fill=215)  # vertebral body
    draw.ellipse((180, 268, 205, 292), fill=150)
    draw.ellipse((120, 150, 160, 190), fill=85)  # hypodense liver lesion
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    return _jpeg(Image.fromarray(_noise(rng, blurred, 5).astype(np.uint8), "L"))


def fundus_photo(rng: np.random.Generator) -> bytes:
    """Orange-red retina on black with a pale optic disc, branching vessels and a haemorrhage."""
    image = Image.new("RGB", (SIZE, SIZE), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, SIZE - 12, SIZE - 12), fill=(196, 86, 38))
    disc = (SIZE * 0.62, SIZE * 0.48)
    for angle in np.linspace(0, 2 * np.pi, 7, endpoint=False):
        x, y = disc
        for step in range(12):
            nx = x + 14 * np.cos(angle + 0.25 * np.sin(step)) + rng.normal(0, 2)
            ny = y + 14 * np.sin(angle + 0.25 * np.sin(step)) + rng.normal(0, 2)
            draw.line((x, y, nx, ny), fill=(140, 30, 20), width=max(1, 5 - step // 3))
            x, y = nx, ny
    draw.ellipse((disc[0] - 26, disc[1] - 26, disc[0] + 26, disc[1] + 26), fill=(246, 214, 150))
    draw.ellipse((110, 220, 140, 244), fill=(120, 10, 10))
    return _jpeg(image.filter(ImageFilter.GaussianBlur(1.2)))


def histology(rng: np.random.Generator) -> bytes:
    """H&E-like field: pink stroma with purple nuclei, denser in one cluster."""
    pixels = _noise(rng, np.full((SIZE, SIZE, 3), (236, 190, 214), dtype=np.float64), 8)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(420):
        clustered = rng.random() < 0.5
        cx = rng.normal(SIZE * 0.35, 40) if clustered else rng.uniform(0, SIZE)
        cy = rng.normal(SIZE * 0.6, 40) if clustered else rng.uniform(0, SIZE)
        r = rng.uniform(3, 7)
        draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=(92, 50, 140))
    return _jpeg(image.filter(ImageFilter.GaussianBlur(0.8)))


@dataclass(frozen=True)
class Sample:
    caption: str
    tags: tuple[str, ...]
    images: tuple[Callable[[np.random.Generator], bytes], ...]
    title: str = ""
    sensitive: bool = False
    comments: tuple[tuple[str, str], ...] = ()  # (username, text); a second one replies to the first


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "Adult with sudden pleuritic chest pain and dyspnoea after a long-haul flight. Chest radiograph "
        "on arrival. What would you do next?",
        ("radiology", "pulmonology", "emergencymedicine"),
        (chest_radiograph,),
        title="Pleuritic chest pain after a long-haul flight",
        comments=(
            ("admin", "Worth a CT pulmonary angiogram given the history."),
            ("clinician", "Agreed, it was done the same day."),
        ),
    ),
    Sample(
        "Slowly enlarging pigmented lesion on the back, irregular border, noticed by a partner. "
        "Dermoscopy pending. Differential?",
        ("dermatology", "oncology", "pigmented_lesion"),
        # Two photographs: the demo's multi-image case (a swipeable carousel on the case page).
        (skin_lesion, skin_lesion),
        title="Enlarging pigmented lesion on the back",
        comments=(
            ("admin", "Asymmetry and border irregularity: excision biopsy rather than watchful waiting."),
        ),
    ),
    Sample(
        "Crushing central chest pain for 40 minutes. Rhythm strip from the ambulance shows ST elevation.",
        ("cardiology", "emergencymedicine", "ecg"),
        (ecg_strip,),
        title="ST elevation on the ambulance rhythm strip",
    ),
    Sample(
        "Incidental hypodense liver lesion on a staging CT. Arterial phase shown; no known primary.",
        ("radiology", "gastroenterology", "incidentaloma"),
        (ct_slice,),
        title="Incidental hypodense liver lesion",
    ),
    Sample(
        "Sudden painless visual loss in one eye in a patient with poorly controlled hypertension. Fundus photograph.",
        ("ophthalmology", "retina"),
        (fundus_photo,),
        title="Sudden painless visual loss, fundus",
    ),
    Sample(
        "Lymph node biopsy, H&E: clusters of atypical cells. Graphic tag only as a demo of blurred images.",
        ("pathology", "hematology", "lymphoma"),
        (histology,),
        title="Atypical cells in a lymph node biopsy",
        sensitive=True,
    ),
)


async def _comment_as(
    state: AppState, username: str, case_id: int, text: str, parent_id: int | None
) -> int | None:
    async with state.transaction() as db:
        account = await get_account_by_username(db, username)
        actor = await get_actor_for_account(db, account.id) if account else None
        case = await get_case(db, case_id)
        if account is None or actor is None or case is None:
            return None
        parent = await get_comment(db, parent_id) if parent_id else None
        viewer = Viewer(account_id=account.id, actor_id=actor.id)
        comment = await post_comment(
            db, state, account, actor, viewer, case, text, parent, Operator(account.id, "demo-seed")
        )
        return comment.id


async def seed(state: AppState) -> None:
    async with state.sessionmaker() as db:
        clinician: Account | None = await get_account_by_username(db, "clinician")
        actor = await get_actor_for_account(db, clinician.id) if clinician else None
    if clinician is None or actor is None:
        return
    rng = np.random.default_rng(20261122)
    for sample in SAMPLES:
        async with state.sessionmaker() as db:
            if await has_case_with_caption(db, actor.id, sample.caption):
                continue
        case = await create_published_case(
            state,
            clinician,
            images=[make(rng) for make in sample.images],
            caption=sample.caption,
            title=sample.title,
            tags=sample.tags,
            sensitive=sample.sensitive,
            content_warning="Graphic" if sample.sensitive else "",
            alt_texts=[
                f"{sample.title}, image {n} of {len(sample.images)}"
                if len(sample.images) > 1
                else sample.title
                for n in range(1, len(sample.images) + 1)
            ],
        )
        parent_id = None
        for username, text in sample.comments:
            comment_id = await _comment_as(state, username, case.id, text, parent_id)
            parent_id = parent_id or comment_id
