"""Full-text search over case captions and tags.

Revision ID: 0004_search
Revises: 0002

SQLite: an FTS5 table ``case_search`` (rowid = cases.id; columns caption, tags, extra).
PostgreSQL: a table ``case_search`` (case_id, document tsvector) with a GIN index.
Both are kept in sync by triggers on ``cases`` and ``case_tags`` created here, so every writer
(the compose pipeline, federation handlers, bulk loaders) keeps the index current without
knowing it exists. The ``simple`` configuration / unicode61 tokenizer on both sides gives the
same matching rules (no stemming, case- and accent-insensitive on SQLite).
"""

from __future__ import annotations

from alembic import op

revision = "0004_search"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_TAGS = "coalesce((SELECT group_concat(tag, ' ') FROM case_tags WHERE case_id = {ref}), '')"

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE case_search USING fts5("
    "caption, tags, extra, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO case_search(rowid, caption, tags, extra) "
    f"SELECT id, caption, {_SQLITE_TAGS.format(ref='cases.id')}, search_text FROM cases",
    "CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN "
    "INSERT INTO case_search(rowid, caption, tags, extra) "
    f"VALUES (new.id, new.caption, {_SQLITE_TAGS.format(ref='new.id')}, new.search_text); END",
    "CREATE TRIGGER case_search_case_update AFTER UPDATE OF caption, search_text ON cases BEGIN "
    "UPDATE case_search SET caption = new.caption, extra = new.search_text WHERE rowid = new.id; END",
    "CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases BEGIN "
    "DELETE FROM case_search WHERE rowid = old.id; END",
    "CREATE TRIGGER case_search_tag_insert AFTER INSERT ON case_tags BEGIN "
    f"UPDATE case_search SET tags = {_SQLITE_TAGS.format(ref='new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_search_tag_update AFTER UPDATE ON case_tags BEGIN "
    f"UPDATE case_search SET tags = {_SQLITE_TAGS.format(ref='old.case_id')} WHERE rowid = old.case_id; "
    f"UPDATE case_search SET tags = {_SQLITE_TAGS.format(ref='new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_search_tag_delete AFTER DELETE ON case_tags BEGIN "
    f"UPDATE case_search SET tags = {_SQLITE_TAGS.format(ref='old.case_id')} WHERE rowid = old.case_id; END",
]
SQLITE_DOWNGRADE = [
    *(
        f"DROP TRIGGER IF EXISTS case_search_{name}"
        for name in ("case_insert", "case_update", "case_delete", "tag_insert", "tag_update", "tag_delete")
    ),
    "DROP TABLE IF EXISTS case_search",
]

POSTGRES_UPGRADE = [
    "CREATE TABLE case_search ("
    "case_id integer PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX ix_case_search_document ON case_search USING gin (document)",
    "CREATE FUNCTION case_search_refresh(target integer) RETURNS void AS $$ "
    "INSERT INTO case_search (case_id, document) "
    "SELECT c.id, to_tsvector('simple', c.caption || ' ' || "
    "coalesce((SELECT string_agg(t.tag, ' ') FROM case_tags t WHERE t.case_id = c.id), '') || ' ' || c.search_text) "
    "FROM cases c WHERE c.id = target "
    "ON CONFLICT (case_id) DO UPDATE SET document = excluded.document; "
    "$$ LANGUAGE sql",
    "CREATE FUNCTION case_search_on_case() RETURNS trigger AS $$ "
    "BEGIN PERFORM case_search_refresh(NEW.id); RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE FUNCTION case_search_on_tag() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM case_search_refresh(OLD.case_id); END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM case_search_refresh(NEW.case_id); END IF; "
    "RETURN NULL; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER case_search_case AFTER INSERT OR UPDATE OF caption, search_text ON cases "
    "FOR EACH ROW EXECUTE FUNCTION case_search_on_case()",
    "CREATE TRIGGER case_search_tag AFTER INSERT OR UPDATE OR DELETE ON case_tags "
    "FOR EACH ROW EXECUTE FUNCTION case_search_on_tag()",
    "SELECT case_search_refresh(id) FROM cases",
]
POSTGRES_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS case_search_tag ON case_tags",
    "DROP TRIGGER IF EXISTS case_search_case ON cases",
    "DROP FUNCTION IF EXISTS case_search_on_tag()",
    "DROP FUNCTION IF EXISTS case_search_on_case()",
    "DROP FUNCTION IF EXISTS case_search_refresh(integer)",
    "DROP TABLE IF EXISTS case_search",
]


def _statements(sqlite: list[str], postgres: list[str]) -> list[str]:
    return sqlite if op.get_bind().dialect.name == "sqlite" else postgres


def upgrade() -> None:
    for statement in _statements(SQLITE_UPGRADE, POSTGRES_UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(SQLITE_DOWNGRADE, POSTGRES_DOWNGRADE):
        op.execute(statement)
