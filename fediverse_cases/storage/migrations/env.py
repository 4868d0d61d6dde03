"""Alembic environment: runs on the connection handed over by fediverse_cases.storage.migrate."""

from __future__ import annotations

from alembic import context

from fediverse_cases.storage import models  # noqa: F401  (registers the tables)
from fediverse_cases.storage.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `fediverse-cases init` or storage.migrate.upgrade_to_head")


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # The search index (migration 0004_search: FTS5 / tsvector tables) is maintained by triggers
    # and has no model; autogenerate must not propose dropping it.
    return not (type_ == "table" and reflected and compare_to is None and str(name).startswith("case_search"))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=_include_object,
)
with context.begin_transaction():
    context.run_migrations()
