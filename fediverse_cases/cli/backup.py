"""`fediverse-cases backup --out DIR` and `fediverse-cases restore --from DIR` (see services.backup)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from fediverse_cases.cli.common import add_config_argument, settings_from_args
from fediverse_cases.services.backup import BackupError, backup, check_restorable, restore_files, sqlite_file
from fediverse_cases.storage.db import create_engine
from fediverse_cases.storage.migrate import upgrade_to_head


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    make = subparsers.add_parser(
        "backup", help="copy the database (with the instance keys), media and private folders to a new folder"
    )
    add_config_argument(make)
    make.add_argument("--out", required=True, type=Path, metavar="DIR", help="a new or empty folder")
    make.set_defaults(handler=run_backup)

    restore = subparsers.add_parser("restore", help="restore a backup into a fresh instance (same base URL)")
    add_config_argument(restore)
    restore.add_argument("--from", dest="source", required=True, type=Path, metavar="DIR")
    restore.set_defaults(handler=run_restore)


async def _heads_and_tables(database_url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: (
                    list(MigrationContext.configure(sync).get_current_heads()),
                    inspect(sync).get_table_names(),
                )
            )
    finally:
        await engine.dispose()


async def _upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


def run_backup(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        heads, _ = asyncio.run(_heads_and_tables(settings.database_url))
        summary = backup(settings, args.out.resolve(), heads)
    except BackupError as error:
        print(f"fediverse-cases: {error}", file=sys.stderr)
        return 1
    print(
        f"Backup written to {summary.folder}: {summary.database_file} (includes the instance keys), "
        f"{summary.media_files} media and {summary.private_files} private files."
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    source: Path = args.source.resolve()
    try:
        if settings.is_sqlite and not sqlite_file(settings.database_url).exists():
            has_schema = False  # do not create an empty file just to look inside it
        else:
            _, tables = asyncio.run(_heads_and_tables(settings.database_url))
            has_schema = bool(tables)
        check_restorable(settings, source, has_schema)
        summary = restore_files(settings, source)
        asyncio.run(_upgrade(settings.database_url))
    except BackupError as error:
        print(f"fediverse-cases: {error}", file=sys.stderr)
        return 1
    print(
        f"Restored {source} into {settings.instance.base_url}: {summary.database_file}, "
        f"{summary.media_files} media and {summary.private_files} private files; migrations at head."
    )
    return 0
