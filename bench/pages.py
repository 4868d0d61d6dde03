"""Page latency with 100k cases: case page, feeds (first and deep page, tag, following) and search.

    .venv/bin/python bench/pages.py [--cases 100000] [--requests 200]

Builds a fresh SQLite database in a temporary folder, migrated by our Alembic migrations, bulk
inserts cases (with tags and one image row each; the search triggers of 0004_search fire as for
any writer), a realistic spread of authors, states, visibilities, tags and dates, then measures
requests through the real app (Quart test client, in process: routing, templates, sessions, the
database) and prints median and p99 per page. Target: p99 <= 50 ms per page.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from fediverse_cases.core.accounts import RegistrationForm, Role
from fediverse_cases.core.specialties import SPECIALTY_SLUGS
from fediverse_cases.services import accounts as account_service
from fediverse_cases.services.actors import ensure_instance_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import settings_from_mapping
from fediverse_cases.storage.migrate import upgrade_to_head
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.app import create_app

AUTHORS = 200
PASSWORD = "bench-password-123"
WORDS = [
    "annular",
    "erythematous",
    "plaque",
    "forearm",
    "pneumothorax",
    "effusion",
    "consolidation",
    "nodule",
    "mass",
    "lesion",
    "fracture",
    "dislocation",
    "stenosis",
    "aneurysm",
    "dissection",
    "thrombus",
    "embolism",
    "infarct",
    "haemorrhage",
    "oedema",
    "atrophy",
    "calcification",
    "abscess",
    "cyst",
    "polyp",
    "ulcer",
    "fistula",
    "stricture",
    "hernia",
    "obstruction",
    "perforation",
    "ischaemia",
    "necrosis",
    "fibrosis",
    "granuloma",
    "lymphadenopathy",
    "hepatomegaly",
    "splenomegaly",
    "cardiomegaly",
    "pericardial",
    "pleural",
    "ascites",
    "jaundice",
    "rash",
    "vesicle",
    "papule",
    "macule",
    "nodular",
    "pigmented",
    "keratosis",
    "melanoma",
    "carcinoma",
    "sarcoma",
    "lymphoma",
    "leukaemia",
    "myeloma",
    "metastasis",
    "tumour",
    "benign",
    "malignant",
    "acute",
    "chronic",
    "recurrent",
    "bilateral",
    "unilateral",
    "proximal",
    "distal",
    "anterior",
    "posterior",
    "lateral",
    "medial",
    "adult",
    "child",
    "elderly",
    "infant",
    "adolescent",
    "pregnant",
    "postoperative",
    "trauma",
    "fall",
    "sport",
    "occupational",
    "fever",
    "cough",
    "dyspnoea",
    "pain",
    "swelling",
    "weakness",
    "numbness",
    "headache",
    "seizure",
    "syncope",
    "palpitations",
    "radiograph",
    "ultrasound",
    "tomography",
    "resonance",
    "biopsy",
    "histology",
    "endoscopy",
    "angiography",
    "dermoscopy",
    "sarcoidosis",
    "tuberculosis",
    "pneumonia",
    "sepsis",
    "endocarditis",
    "osteomyelitis",
    "cellulitis",
    "meningitis",
    "vasculitis",
    "lupus",
    "arthritis",
    "gout",
    "psoriasis",
    "eczema",
    "urticaria",
    "pemphigus",
    "vitiligo",
    "alopecia",
]
FREE_TAGS = [f"{word}_case" for word in WORDS[:60]] + ["rare", "classic", "teaching", "quiz", "unusual"]


def bulk_insert(
    db_path: Path, cases: int, author_actor_ids: list[int], rng: random.Random
) -> dict[str, object]:
    """Plain sqlite3 executemany in one transaction: the fastest honest way to load rows."""
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    specialties = sorted(SPECIALTY_SLUGS)
    now = datetime.now(UTC).replace(tzinfo=None)
    case_rows, tag_rows, image_rows = [], [], []
    first_id = 1
    for offset in range(cases):
        case_id = first_id + offset
        roll = rng.random()
        state = "published" if roll < 0.92 else rng.choice(["pending", "draft", "rejected", "withdrawn"])
        visibility = "public" if rng.random() < 0.8 else rng.choice(["followers", "local"])
        published_at = (
            now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
            if state in ("published", "withdrawn")
            else None
        )
        public_id = secrets.token_urlsafe(12)
        caption = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize() + "."
        case_rows.append(
            (
                case_id,
                public_id,
                f"http://bench.test/cases/{public_id}",
                rng.choice(author_actor_ids),
                1,
                state,
                visibility,
                caption,
                "",
                int(rng.random() < 0.05),
                "",
                int(rng.random() < 0.003),
                "",
                now,
                published_at,
            )
        )
        chosen = rng.sample(specialties, rng.randint(1, 2)) + rng.sample(FREE_TAGS, rng.randint(0, 2))
        tag_rows.extend((case_id, tag, int(tag in SPECIALTY_SLUGS)) for tag in chosen)
        image_rows.append(
            (
                case_id,
                0,
                secrets.token_hex(16),
                "image/jpeg",
                1600,
                1200,
                1600,
                1200,
                400,
                300,
                "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                "Clinical image",
                "{}",
                "[]",
                "",
                "",
                now,
            )
        )
    started = time.perf_counter()
    # Tags before their cases (foreign keys are not enforced on this plain connection): the search
    # trigger on ``cases`` then indexes caption and tags in one FTS insert per case, instead of one
    # insert plus an FTS update per tag row (the same rows either way, ten times faster to load).
    connection.execute("PRAGMA foreign_keys=OFF")
    with connection:
        connection.executemany(
            "INSERT INTO case_tags (case_id, tag, is_specialty) VALUES (?, ?, ?)", tag_rows
        )
        connection.executemany(
            "INSERT INTO cases (id, public_id, ap_id, author_actor_id, is_local, state, visibility, caption, "
            "content_warning, sensitive, review_note, hidden, search_text, created_at, published_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        connection.executemany(
            "INSERT INTO case_images (case_id, position, media_key, media_type, width, height, display_width, "
            "display_height, thumbnail_width, thumbnail_height, blurhash, alt_text, deid_report, manual_regions, "
            "original_key, remote_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            image_rows,
        )
    orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
    assert not orphans, orphans[:5]
    connection.execute("ANALYZE")
    connection.close()
    # Keep only (id, public_id, published_at) of the publicly listed cases: the 450k seed tuples
    # would otherwise stay alive in this process and every full GC pass of the measured app
    # would walk them, which a server process never has to do.
    visible = [
        (row[0], row[1], row[14])
        for row in case_rows
        if row[5] == "published" and row[6] == "public" and not row[11]
    ]
    visible.sort(key=lambda row: (row[2], row[0]), reverse=True)
    return {"seconds": time.perf_counter() - started, "visible": visible}


async def make_state(root: Path) -> AppState:
    settings = settings_from_mapping(
        {
            "instance": {"name": "Bench General", "base_url": "http://bench.test"},
            "database": {"url": f"sqlite+aiosqlite:///{root / 'bench.db'}"},
            "media": {"dir": str(root / "media"), "private_dir": str(root / "private")},
            "session": {"secret": secrets.token_urlsafe(40)},
        },
        config_path=root / "instance.toml",
    )
    state = AppState.from_settings(settings)
    await upgrade_to_head(state.engine)
    async with state.transaction() as db:
        await ensure_instance_actor(db, state.urls, settings.instance.name)
    return state


async def create_people(state: AppState) -> tuple[list[int], int]:
    """Authors (verified professionals) and one reader; returns author actor ids and the reader's."""
    actor_ids = []
    async with state.transaction() as db:
        for index in range(AUTHORS + 1):
            username = "reader" if index == AUTHORS else f"author{index:03d}"
            verified = index != AUTHORS
            account = await account_service.register(
                db,
                state.urls,
                state.passwords,
                RegistrationForm(
                    username=username,
                    email=f"{username}@bench.test",
                    password=PASSWORD,
                    occupation="Physician",
                    licence_number="L-1",
                    institution="Bench General",
                ),
                Operator(None, "bench"),
                role=Role.PROFESSIONAL if verified else Role.VIEWER,
                verified=verified,
            )
            await db.flush()
            actor = await get_actor_for_account(db, account.id)
            assert actor is not None
            actor_ids.append(actor.id)
    return actor_ids[:-1], actor_ids[-1]


def loadavg() -> str:
    """The machine is shared: the numbers mean little without the load they were taken under."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def cursor_at(row: tuple) -> str:  # type: ignore[type-arg]
    published_at = row[2].replace(tzinfo=UTC)
    return f"{int(published_at.timestamp() * 1_000_000)}.{row[0]}"


async def measure(
    client, label: str, paths: Callable[[], str], requests: int, check: str
) -> tuple[str, float, float, int, int]:  # type: ignore[no-untyped-def]
    timings = []
    cards = 0
    for index in range(requests + 5):
        path = paths()
        started = time.perf_counter()
        response = await client.get(path)
        body = await response.get_data(as_text=True)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        assert check in body, (label, path)
        if index >= 5:  # the first few warm caches and compile templates
            timings.append(elapsed)
            cards += body.count('<article class="case-card')
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return label, statistics.median(timings), p99, sum(t > 50 for t in timings), cards // requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(4)
    total_started = time.perf_counter()
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="fc-bench-") as folder:
        root = Path(folder)
        state = await make_state(root)
        state.passwords = Passwords(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        author_ids, reader_id = await create_people(state)
        loaded = bulk_insert(root / "bench.db", args.cases, author_ids, rng)
        visible: list[tuple] = loaded["visible"]  # type: ignore[assignment]
        print(f"seeded {args.cases} cases ({len(visible)} public) in {loaded['seconds']:.1f} s")
        del loaded
        gc.collect()
        followed = rng.sample(author_ids, 10)
        connection = sqlite3.connect(root / "bench.db")
        with connection:
            connection.executemany(
                "INSERT INTO follows (follower_id, followed_id, state, created_at) VALUES (?, ?, 'accepted', ?)",
                [(reader_id, actor_id, datetime.now(UTC).replace(tzinfo=None)) for actor_id in followed],
            )
        connection.close()
        await state.engine.dispose()
        app = create_app(state.settings, state)
        anonymous = app.test_client()
        reader = app.test_client()
        page = await (await reader.get("/login")).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        response = await reader.post(
            "/login", form={"username": "reader", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        # Objects alive now (the app, its modules, the bench's list of cases) are permanent: keep
        # later GC passes to the garbage requests make, as in a server process after start-up.
        gc.collect()
        gc.freeze()
        deep = visible[len(visible) // 2]
        specialties = sorted(SPECIALTY_SLUGS)
        results = [
            await measure(
                anonymous,
                "case page (anonymous)",
                lambda: f"/cases/{rng.choice(visible)[1]}",
                args.requests,
                "case-images",
            ),
            await measure(
                reader,
                "case page (signed in, audited)",
                lambda: f"/cases/{rng.choice(visible)[1]}",
                args.requests,
                "case-images",
            ),
            await measure(anonymous, "home page", lambda: "/", args.requests, "case-card"),
            await measure(
                anonymous, "local feed, first page", lambda: "/feed/local", args.requests, "case-card"
            ),
            await measure(
                anonymous,
                "local feed, deep page (cursor)",
                lambda: f"/feed/local?before={cursor_at(rng.choice(visible[len(visible) // 4 :]))}",
                args.requests,
                "case-card",
            ),
            await measure(
                anonymous,
                "tag feed (specialty)",
                lambda: f"/tags/{rng.choice(specialties)}",
                args.requests,
                "case-card",
            ),
            await measure(
                anonymous,
                "tag feed, deep page",
                lambda: f"/tags/{rng.choice(specialties)}?before={cursor_at(deep)}",
                args.requests,
                "case-card",
            ),
            await measure(
                reader, "following feed (10 followed)", lambda: "/feed/following", args.requests, "case-card"
            ),
            await measure(
                anonymous,
                "search, one word",
                lambda: f"/search?q={rng.choice(WORDS)}",
                args.requests,
                "case-card",
            ),
            await measure(
                anonymous,
                "search, two words",
                lambda: f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}",
                args.requests,
                "<h1>",
            ),
        ]
        await state.close()
    load_after = loadavg()
    print(f"\n{args.cases} cases, {args.requests} requests per page, target p99 <= 50 ms")
    print(f"| {'page':32} | {'median ms':>9} | {'p99 ms':>7} | {'> 50 ms':>7} | {'cards':>5} | {'':4} |")
    print(f"|{'-' * 34}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 7}|{'-' * 6}|")
    for label, median, p99, slow, cards in results:
        verdict = "ok" if p99 <= 50 else "OVER"
        print(f"| {label:32} | {median:9.1f} | {p99:7.1f} | {slow:7d} | {cards:5d} | {verdict:4} |")
    print(f"\nload average (1/5/15 min): before {load_before}, after {load_after} on {os.cpu_count()} CPUs")
    print(f"total run {time.perf_counter() - total_started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
