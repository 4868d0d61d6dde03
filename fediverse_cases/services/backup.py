"""Backups of a whole instance, and restoring one into a fresh instance.

A backup folder holds:

* ``database.sqlite`` (SQLite's online backup API: a consistent copy while the server keeps
  writing) or ``database.pgdump`` (``pg_dump --format=custom``, one consistent snapshot);
  the instance keys are rows of the ``actors`` table, so they are in it;
* ``media/`` and ``private/``: the shareable derivatives, and the originals and consent forms,
  copied after the database, so every file the database names and that still exists is there;
* ``manifest.json``: format, time, base URL, database backend, migration heads, file counts.

``restore`` only writes into a fresh instance (no schema in its database, empty folders) with
the same ``instance.base_url`` as the backup, because ActivityPub ids are built from it and
peers know the instance by them. It then runs the migrations, so a backup made by an older
version is brought up to date.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from fediverse_cases.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    database_file: str
    media_files: int
    private_files: int


def sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("database.url names no SQLite file")
    return Path(database)


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """pg_dump/pg_restore take a libpq URL (no +asyncpg driver); the password goes in the
    environment, never on a command line other users can read in the process list."""
    url = make_url(database_url)
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else dict(os.environ)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run_pg(tool: str, database_url: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    dsn, env = _libpq(database_url)
    arguments = [arg if arg != "{dsn}" else dsn for arg in args]
    result = subprocess.run([tool, *arguments], capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-1500:]}")


def _copy_folder(source: Path, target: Path) -> int:
    """Copy a media folder, skipping half-written temporary files; returns the file count."""
    if not source.is_dir():
        target.mkdir(parents=True)
        return 0
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*.tmp"), dirs_exist_ok=True)
    return sum(1 for path in target.rglob("*") if path.is_file())


def _count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


def backup(settings: Settings, out: Path, migration_heads: list[str]) -> BackupSummary:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: back up into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)  # it holds private keys, originals and consent forms
    if settings.is_sqlite:
        database_file = SQLITE_FILE
        source = sqlite3.connect(sqlite_file(settings.database_url))
        target = sqlite3.connect(out / SQLITE_FILE)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        database_file = PG_FILE
        _run_pg(
            "pg_dump",
            settings.database_url,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(out / PG_FILE),
            "{dsn}",
        )
    media = _copy_folder(settings.media_dir, out / "media")
    private = _copy_folder(settings.private_dir, out / "private")
    (out / "private").chmod(0o700)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_url": settings.instance.base_url,
        "database": database_file,
        "migration_heads": sorted(migration_heads),
        "media_files": media,
        "private_files": private,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BackupSummary(out, database_file, media, private)


def read_manifest(folder: Path) -> dict[str, object]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a fediverse-cases backup (no {MANIFEST})") from None
    except json.JSONDecodeError as error:
        raise BackupError(f"{folder / MANIFEST} is damaged: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this version reads {FORMAT})")
    return manifest


def check_restorable(settings: Settings, folder: Path, target_has_schema: bool) -> dict[str, object]:
    manifest = read_manifest(folder)
    if manifest["base_url"] != settings.instance.base_url:
        raise BackupError(
            f"the backup is of {manifest['base_url']}, this configuration is {settings.instance.base_url}: "
            "an instance keeps its base URL for life (peers know it by its ids); set instance.base_url to match"
        )
    wanted = SQLITE_FILE if settings.is_sqlite else PG_FILE
    if manifest["database"] != wanted:
        raise BackupError(
            f"the backup holds {manifest['database']} but database.url is "
            f"{'SQLite' if settings.is_sqlite else 'PostgreSQL'}: restore into the same kind of database"
        )
    if target_has_schema:
        raise BackupError("the target database already has tables: restore only into a new, empty database")
    for folder_setting in (settings.media_dir, settings.private_dir):
        if _count_files(folder_setting):
            raise BackupError(f"{folder_setting} is not empty: restore only into empty media folders")
    return manifest


def restore_files(settings: Settings, folder: Path) -> BackupSummary:
    """Copy the database and folders in (the caller checked ``check_restorable`` first)."""
    if settings.is_sqlite:
        target_path = sqlite_file(settings.database_url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / SQLITE_FILE)
        target = sqlite3.connect(target_path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        database_file = SQLITE_FILE
    else:
        _run_pg(
            "pg_restore",
            settings.database_url,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            "{dsn}",
            str(folder / PG_FILE),
        )
        database_file = PG_FILE
    media = _copy_folder(folder / "media", settings.media_dir)
    private = _copy_folder(folder / "private", settings.private_dir)
    os.chmod(settings.private_dir, 0o700)
    return BackupSummary(folder, database_file, media, private)
