"""ids are never reused: AUTOINCREMENT on SQLite, identity columns on PostgreSQL

Without AUTOINCREMENT, SQLite hands out max(rowid)+1, so after a purge (a peer's Delete, a
removed peer) a new row can take the id of a deleted one, and an API status id or a link that
named the old case would name a different one. PostgreSQL ``serial`` sequences never go back,
but are replaced by standard identity columns that continue from the sequence's last value.

SQLite cannot add AUTOINCREMENT in place, so each table with an integer ``id`` key is rebuilt
(SQLite's documented procedure: foreign keys off, create the new table from the old one's own
``CREATE TABLE`` text with the key made ``AUTOINCREMENT``, copy, drop, rename, recreate its
indexes and triggers — the case search triggers of 0004_search and the append-only audit
triggers — then ``foreign_key_check``). ``PRAGMA foreign_keys`` only changes outside a
transaction, so the pending one is committed first; otherwise dropping a parent table would
cascade into its children. Later migrations must create such tables with
``sqlite_autoincrement=True`` (PostgreSQL: ``sa.Identity()``).

It runs after every other migration of the second round (it is also their join), so the tables
they create are rebuilt too.

Revision ID: 0019_ids_never_reused
Revises: 0016_deid_jobs, 0017_oidc_identities, 0018_dicom_intake, 0020_polls_outcomes, 0021_case_title
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0019_ids_never_reused"
down_revision = (
    "0016_deid_jobs",
    "0017_oidc_identities",
    "0018_dicom_intake",
    "0020_polls_outcomes",
    "0021_case_title",
)
branch_labels = None
depends_on = None


def _tables_with_integer_id(bind: sa.Connection) -> list[str]:
    inspector = sa.inspect(bind)
    tables = []
    for name in inspector.get_table_names():
        if name == "alembic_version" or name.startswith("case_search"):
            continue
        key = inspector.get_pk_constraint(name).get("constrained_columns") or []
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        if key == ["id"] and isinstance(columns["id"]["type"], sa.Integer):
            tables.append(name)
    return sorted(tables)


def _autoincrement_sql(create_sql: str, table: str, new_name: str) -> str:
    """The table's own CREATE TABLE with ``id`` as ``INTEGER PRIMARY KEY AUTOINCREMENT``."""
    key = re.compile(r",\s*CONSTRAINT (\w+) PRIMARY KEY \(id\)")
    match = key.search(create_sql)
    column = re.compile(r"\(\s*id INTEGER NOT NULL,")
    if match is None or column.search(create_sql) is None or "AUTOINCREMENT" in create_sql:
        raise RuntimeError(f"0019: unexpected definition of table {table}: {create_sql}")
    sql = key.sub("", create_sql, count=1)
    sql = column.sub(
        f"(\n\tid INTEGER NOT NULL CONSTRAINT {match.group(1)} PRIMARY KEY AUTOINCREMENT,", sql, count=1
    )
    head = re.compile(rf"^CREATE TABLE \"?{re.escape(table)}\"? \(")
    if head.search(sql) is None:
        raise RuntimeError(f"0019: unexpected CREATE TABLE of {table}")
    return head.sub(f'CREATE TABLE "{new_name}" (', sql, count=1)


def _foreign_keys(bind: sa.Connection, on: bool) -> None:
    value = "ON" if on else "OFF"
    bind.exec_driver_sql(f"PRAGMA foreign_keys={value}")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar() != int(on):
        # A transaction is open (earlier migrations in this run wrote rows): finish it first.
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql(f"PRAGMA foreign_keys={value}")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar() != int(on):
        raise RuntimeError(f"0019: could not turn foreign keys {value}")


def _upgrade_sqlite(bind: sa.Connection) -> None:
    _foreign_keys(bind, on=False)
    bind.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    try:
        for table in _tables_with_integer_id(bind):
            create_sql = bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).scalar_one()
            attached = (
                bind.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name=? "
                    "AND sql IS NOT NULL ORDER BY type",
                    (table,),
                )
                .scalars()
                .all()
            )
            new_name = f"_0019_{table}"
            bind.exec_driver_sql(_autoincrement_sql(create_sql, table, new_name))
            bind.exec_driver_sql(f'INSERT INTO "{new_name}" SELECT * FROM "{table}"')
            bind.exec_driver_sql(f'DROP TABLE "{table}"')
            bind.exec_driver_sql(f'ALTER TABLE "{new_name}" RENAME TO "{table}"')
            for sql in attached:
                bind.exec_driver_sql(sql)
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"0019: foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        bind.exec_driver_sql("PRAGMA legacy_alter_table=OFF")
    _foreign_keys(bind, on=True)  # commits the rebuild


def _upgrade_postgresql(bind: sa.Connection) -> None:
    for table in _tables_with_integer_id(bind):
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
        default = bind.execute(
            sa.text(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t AND column_name = 'id'"
            ),
            {"t": table},
        ).scalar()
        if sequence is None or not str(default or "").startswith("nextval("):
            continue  # already an identity column
        last, called = bind.execute(sa.text(f"SELECT last_value, is_called FROM {sequence}")).one()
        start = int(last) + 1 if called else int(last)
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN id DROP DEFAULT')
        op.execute(f"DROP SEQUENCE {sequence}")
        op.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {start})'
        )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)


def downgrade() -> None:
    # Reusing ids again would be the bug this fixes; the tables stay as they are.
    pass
