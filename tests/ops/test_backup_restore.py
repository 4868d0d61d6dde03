"""`fediverse-cases backup` of a served instance, `restore` into a fresh one, which then serves
the same cases, media and keys. On SQLite (online backup API) and PostgreSQL (pg_dump)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.models import CaseImage
from tests.support.case_rows import insert_case
from tests.support.databases import DatabaseFactory, postgres_available
from tests.support.instances import create_account, fast_passwords
from tests.support.server import ADMIN_PASSWORD, ServedInstance, free_port

pytestmark = pytest.mark.e2e


def _write_config(instance: ServedInstance, base_url: str, database_url: str) -> None:
    instance.root.mkdir(parents=True, exist_ok=True)
    instance.config_path.write_text(
        f'[instance]\nname = "Backup Test Hospital"\nbase_url = "{base_url}"\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[session]\nsecret = "{"b" * 48}"\n'
        f"[server]\nport = {instance.port}\nworkers = {instance.workers}\nrun_background_workers = false\n"
    )


async def _seed(config: Path) -> list[str]:
    """Two published cases and a pending one, with image files and a private original."""
    state = AppState.from_settings(load_settings(config, env={}))
    state.passwords = fast_passwords()
    try:
        author = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        names = []
        for seed, case_state in enumerate((CaseState.PUBLISHED, CaseState.PUBLISHED, CaseState.PENDING)):
            case = await insert_case(state, author, caption=f"Backup case {seed}", case_state=case_state)
            async with state.sessionmaker() as db:
                image = (
                    await db.execute(CaseImage.__table__.select().where(CaseImage.case_id == case.id))
                ).one()
            out = io.BytesIO()
            Image.effect_noise((320, 240), 30 + seed).convert("RGB").save(out, "JPEG")
            path = state.settings.media_dir / image.media_key[:2] / f"{image.media_key}-full.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(out.getvalue())
            names.append(path.name)
        (state.settings.private_dir / "original-0").write_bytes(b"un-redacted original")
        return names
    finally:
        await state.close()


def _snapshot(url: str, media: list[str]) -> dict[str, object]:
    with httpx.Client(base_url=url, timeout=20) as client:
        timeline = client.get("/api/v1/timelines/public", params={"local": "true"}).json()
        case_pages = {
            s["url"].rsplit("/", 1)[-1]: client.get(f"/cases/{s['url'].rsplit('/', 1)[-1]}").status_code
            for s in timeline
        }
        return {
            "statuses": sorted((s["id"], s["content"]) for s in timeline),
            "case_pages": case_pages,
            "media": {name: client.get(f"/media/{name}").content for name in media},
            "actor_key": client.get("/actor", headers={"Accept": "application/activity+json"}).json()[
                "publicKey"
            ],
            "clinician": client.get(
                "/users/clinician", headers={"Accept": "application/activity+json"}
            ).json()["publicKey"],
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_backup_of_a_served_instance_restores_into_a_fresh_one(
    backend: str,
    database_factories: dict[str, DatabaseFactory],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "postgresql" and (problem := await postgres_available()) is not None:
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    factory = database_factories[backend]
    url_a, url_b = await factory.new_empty_database(), await factory.new_empty_database()
    original = ServedInstance(tmp_path / "a")
    base_url = original.url
    _write_config(original, base_url, url_a)
    result = original.command("init", env={"FEDIVERSE_CASES_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert result.returncode == 0, result.stderr
    media = await _seed(original.config_path)
    original.start()
    try:
        before = _snapshot(original.url, media)
        made = original.command("backup", "--out", str(tmp_path / "backup"))  # while it serves
    finally:
        original.stop()
    assert made.returncode == 0, made.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert (
        manifest["base_url"] == base_url and manifest["media_files"] == 3 and manifest["private_files"] == 1
    )

    # The fresh instance: same base URL (ids never change), new database and folders, other port.
    restored = ServedInstance(tmp_path / "b", port=free_port())
    _write_config(restored, base_url, url_b)
    if backend == "sqlite":  # the refusals do not depend on the database (each CLI run costs seconds)
        wrong = ServedInstance(tmp_path / "c")
        _write_config(wrong, "https://another-hospital.example", url_b)
        refused = wrong.command("restore", "--from", str(tmp_path / "backup"))
        assert refused.returncode == 1 and "set instance.base_url to match" in refused.stderr

    done = restored.command("restore", "--from", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    if backend == "sqlite":
        again = restored.command("restore", "--from", str(tmp_path / "backup"))
        assert again.returncode == 1 and "restore only into a new, empty database" in again.stderr
    assert (restored.root / "private" / "original-0").read_bytes() == b"un-redacted original"
    assert (restored.root / "private").stat().st_mode & 0o077 == 0
    restored.start()
    try:
        after = _snapshot(restored.url, media)
        signed_in = _sign_in(restored.url)
    finally:
        restored.stop()
    assert len(before["statuses"]) == 2 and all(code == 200 for code in before["case_pages"].values())
    assert after == before
    # The admin made by `init` signs in on the restored instance: accounts and hashes came along.
    assert signed_in == 302


def _sign_in(url: str) -> int:
    with httpx.Client(base_url=url, timeout=20) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"csrf_token": token[1], "username": "admin", "password": ADMIN_PASSWORD, "next": ""}
        return client.post("/login", data=form).status_code
