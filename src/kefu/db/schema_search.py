"""Tables for full-text search over cases (jieba tokens + bigrams), on the shared metadata."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import Column, ForeignKey, Table, Text

from kefu.db.schema import Id, metadata

# One search document per case: the space-joined terms kefu.services.search.index_terms built
# once in Python. The engine-specific index over it lives in migration 0005 only:
# - SQLite: FTS5 table SQLITE_FTS (external content = this table, kept in sync by triggers);
# - PostgreSQL: generated tsvector column PG_TSV_COLUMN + GIN index PG_TSV_INDEX.
case_search = Table(
    "case_search",
    metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    Column("terms", Text, nullable=False),
)

SQLITE_FTS = "case_search_fts"
# FTS5 stores its index in these shadow tables (no _content table: the content is case_search).
SQLITE_FTS_TABLES = frozenset(
    {SQLITE_FTS, *(f"{SQLITE_FTS}_{s}" for s in ("data", "idx", "docsize", "config", "content"))}
)
PG_TSV_COLUMN = "terms_tsv"
PG_TSV_INDEX = "ix_case_search_terms_tsv"


def include_name(
    name: str | None, type_: Any, parent_names: MutableMapping[Any, str | None]
) -> bool:
    """Alembic hook: hide the engine-specific search objects that the models cannot describe
    (the FTS5 virtual table and its shadow tables, the tsvector column and its GIN index), so
    autogenerate and the migrations-vs-models test see only portable schema. Names only, and
    only these names: anything else still shows up as a difference."""
    if type_ == "table":
        return name not in SQLITE_FTS_TABLES
    if type_ == "column":
        return not (parent_names.get("table_name") == "case_search" and name == PG_TSV_COLUMN)
    if type_ == "index":
        return name != PG_TSV_INDEX
    return True
