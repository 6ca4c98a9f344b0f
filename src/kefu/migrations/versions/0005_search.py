"""search: case_search documents + FTS5 (SQLite) / tsvector + GIN (PostgreSQL)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

# The terms are already tokens (jieba words, CJK bigrams, number pieces) joined by spaces, so the
# engine only has to split on spaces. unicode61 keeps a CJK run as one token (the FTS5 `trigram`
# tokenizer could not index a two-character word such as 退款). detail=none: no positions — the
# search never asks for phrases or NEAR, and the index is a fraction of the size. columnsize=0:
# no per-row length table, since results are ordered by case id, not bm25.
_SQLITE = [
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(terms, content='case_search', "
    "content_rowid='case_id', tokenize='unicode61 remove_diacritics 0', detail=none, "
    "columnsize=0)",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts(rowid, terms) VALUES (new.case_id, new.terms); END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, terms) "
    "VALUES ('delete', old.case_id, old.terms); END",
    "CREATE TRIGGER case_search_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts(case_search_fts, rowid, terms) "
    "VALUES ('delete', old.case_id, old.terms); "
    "INSERT INTO case_search_fts(rowid, terms) VALUES (new.case_id, new.terms); END",
]
# array_to_tsvector takes the terms verbatim as lexemes: no parser, no dictionary, so the two
# engines index exactly the same terms (to_tsvector would re-split "kf2026…" or "a-1" its own way).
_POSTGRESQL = [
    "ALTER TABLE case_search ADD COLUMN terms_tsv tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(terms, ' '))) STORED",
    "CREATE INDEX ix_case_search_terms_tsv ON case_search USING gin (terms_tsv)",
]


def upgrade() -> None:
    op.create_table(
        "case_search",
        sa.Column(
            "case_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_search_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_search")),
    )
    dialect = op.get_bind().dialect.name
    for ddl in _SQLITE if dialect == "sqlite" else _POSTGRESQL if dialect == "postgresql" else []:
        op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("case_search_ai", "case_search_ad", "case_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    op.drop_table("case_search")
