"""Alembic environment: runs on the connection handed over by fediverse_cases.storage.migrate."""

from __future__ import annotations

from alembic import context

from fediverse_cases.storage import models  # noqa: F401  (registers the tables)
from fediverse_cases.storage.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `fediverse-cases init` or storage.migrate.upgrade_to_head")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
