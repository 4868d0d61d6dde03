"""Full-text search over case captions and tags, one function over two engines.

The index is the ``case_search`` table of migration 0004_search (SQLite FTS5 / PostgreSQL
tsvector + GIN), kept in sync by database triggers, so nothing here writes. Results follow the
same listable rule and (published_at, id) keyset as the feeds: newest matches first. The matches
are a candidate set like a tag's cases (``feeds.candidates_page`` picks the plan), so a common
word never means sorting every match by date.
"""

from __future__ import annotations

import re

from sqlalchemy import Select, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.repositories.feeds import PAGE_SIZE, Cursor, FeedPage, candidates_page

MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_pg_search = table("case_search", column("case_id"), column("document"))


def search_terms(query: str) -> list[str]:
    """Words of the query, lowercased; punctuation and operators are dropped, so user input can
    never be read as FTS5 or tsquery syntax."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


def _matching_ids(dialect: str, terms: list[str]) -> Select[tuple[int]]:
    # Every word must match; the last one also as a prefix, for search-as-you-type.
    if dialect == "sqlite":
        expression = " ".join(f'"{term}"' for term in terms[:-1]) + f' "{terms[-1]}"*'
        return (
            select(literal_column("rowid"))
            .select_from(text("case_search"))
            .where(text("case_search MATCH :expression").bindparams(expression=expression.strip()))
        )
    expression = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
    return select(_pg_search.c.case_id).where(
        _pg_search.c.document.op("@@")(func.to_tsquery("simple", expression))
    )


async def search_cases(
    session: AsyncSession,
    query: str,
    *,
    signed_in: bool,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> FeedPage:
    terms = search_terms(query)
    if not terms:
        return FeedPage([], None)
    matching = _matching_ids(session.bind.dialect.name, terms)
    return await candidates_page(session, matching, signed_in=signed_in, cursor=cursor, limit=limit)
