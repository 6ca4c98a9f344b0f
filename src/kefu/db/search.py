"""Full-text search persistence: one terms document per case, FTS5 on SQLite, tsvector on PG."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import Executable

from kefu.db.driver import Prepared
from kefu.db.schema import cases
from kefu.db.schema_search import PG_TSV_COLUMN, SQLITE_FTS, case_search


@dataclass(frozen=True)
class QueryTerm:
    """One term every hit must contain; `prefix` also matches longer terms starting with it."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class SearchScope:
    """What the caller may see at all (the same rules as CaseFilter's scope_* fields);
    all None means everything."""

    buyer_id: int | None = None
    shop_id: int | None = None
    team_ids: tuple[int, ...] | None = None
    user_id: int | None = None


def fts5_match(terms: Sequence[QueryTerm]) -> str:
    """FTS5 MATCH text: every term quoted (so no term is read as an operator), implicit AND."""
    return " ".join(f'"{t.text.replace(chr(34), "")}"' + ("*" if t.prefix else "") for t in terms)


def pg_tsquery(terms: Sequence[QueryTerm]) -> str:
    """tsquery text with each term as a quoted lexeme (taken verbatim, like the indexed ones)."""

    def quote(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    return " & ".join(quote(t.text) + (":*" if t.prefix else "") for t in terms)


def _upsert(dialect: str, rows: list[dict[str, Any]] | None = None) -> Executable:
    ins = postgresql.insert(case_search) if dialect == "postgresql" else sqlite.insert(case_search)
    if rows is not None:
        ins = ins.values(rows)
    return ins.on_conflict_do_update(index_elements=["case_id"], set_={"terms": ins.excluded.terms})


# Built once: constructing an upsert per call costs several times executing it.
_UPSERT = {name: _upsert(name) for name in ("sqlite", "postgresql")}
_UPSERT_ONE = {name: Prepared(stmt, ("case_id", "terms")) for name, stmt in _UPSERT.items()}
_MULTI_ROW = 500  # 2 parameters a row, well under SQLite's 32 766 bound parameters
_SOURCE = (
    select(cases.c.id, cases.c.subject, cases.c.description, cases.c.number, cases.c.order_no)
    .where(cases.c.id > bindparam("s_after"))
    .order_by(cases.c.id)
    .limit(bindparam("s_limit"))
)
_INDEXED = select(func.count()).select_from(case_search)
_CASES = select(func.count()).select_from(cases)

_fts = table(SQLITE_FTS, column("rowid", Integer))
_FTS_MATCH = literal_column(SQLITE_FTS).op("MATCH")(bindparam("q_match", type_=String))
_PG_TSV: ColumnClause[Any] = literal_column(f"case_search.{PG_TSV_COLUMN}")
TSQUERY = postgresql.TSQUERY


def _scope_conditions(scope: SearchScope) -> list[Any]:
    c = cases.c
    conds: list[Any] = []
    if scope.buyer_id is not None:
        conds.append(c.buyer_id == bindparam("q_buyer"))
    if scope.shop_id is not None:
        conds.append(c.shop_id == bindparam("q_shop"))
    if scope.team_ids is not None:
        in_team = c.team_id.in_(bindparam("q_teams", expanding=True)) if scope.team_ids else false()
        conds.append(or_(in_team, c.assignee_id == bindparam("q_user")))
    return conds


def _statement(dialect: str, scope: SearchScope, keyset: bool, plan: str) -> Select[Any]:
    """Newest first (case id descending), never by bm25/ts_rank, which would score every match
    before returning the first page. SQLite: FTS5 walks its doclist backwards and stops at the
    limit, whatever the term. PostgreSQL has no ordered full-text index, so two plans (see
    SearchRepo.search): "recent" filters the newest PG_WINDOW documents, "gin" reads every
    match through the GIN index and sorts them (`+ 0` keeps the planner from walking the
    primary key backwards instead, which it did on misestimates and generic prepared plans, and
    which reads the whole table for a rare term)."""
    if dialect == "sqlite":
        doc_id: Any = _fts.c.rowid
        stmt = select(cases).select_from(_fts.join(cases, cases.c.id == doc_id)).where(_FTS_MATCH)
        order = doc_id
    elif plan == "recent":
        recent = select(case_search.c.case_id, _PG_TSV.label("terms_tsv")).order_by(
            case_search.c.case_id.desc()
        )
        if keyset:
            recent = recent.where(case_search.c.case_id < bindparam("q_after"))
        window = recent.limit(bindparam("q_window")).subquery("recent")
        doc_id = order = window.c.case_id
        match = window.c.terms_tsv.op("@@")(cast(bindparam("q_match", type_=String), TSQUERY))
        stmt = select(cases).select_from(window.join(cases, cases.c.id == doc_id)).where(match)
        keyset = False  # already applied inside the window
    else:
        doc_id = case_search.c.case_id
        stmt = (
            select(cases)
            .select_from(case_search.join(cases, cases.c.id == doc_id))
            .where(_PG_TSV.op("@@")(cast(bindparam("q_match", type_=String), TSQUERY)))
        )
        order = doc_id + literal_column("0")
    stmt = stmt.where(*_scope_conditions(scope))
    if keyset:
        stmt = stmt.where(doc_id < bindparam("q_after"))
    return stmt.order_by(order.desc()).limit(bindparam("q_limit"))


# One statement per (dialect, plan, scope shape, keyset): built on first use, then executed.
_SEARCHES: dict[tuple[object, ...], Select[Any]] = {}
# PostgreSQL "recent" plan: how many of the newest documents are tried before the GIN plan.
PG_WINDOW = 2000


class SearchRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def index_case(self, case_id: int, terms: str) -> None:
        """Insert or replace the case's search document (one prebuilt statement). Whitespace is
        collapsed: PostgreSQL's array_to_tsvector refuses the empty term a double space makes."""
        doc = " ".join(terms.split())
        _UPSERT_ONE[self.conn.dialect.name].run(self.conn, {"case_id": case_id, "terms": doc})

    def index_many(self, docs: Iterable[tuple[int, str]]) -> None:
        """Insert or replace many documents (reindexing). On SQLite one multi-row statement per
        500 documents: the FTS5 trigger flushes its pending terms at the end of every
        statement, so an executemany of one row per statement cost ~3x as much per document."""
        rows = [{"case_id": case_id, "terms": " ".join(terms.split())} for case_id, terms in docs]
        dialect = self.conn.dialect.name
        if dialect != "sqlite":
            if rows:
                self.conn.execute(_UPSERT[dialect], rows)
            return
        for start in range(0, len(rows), _MULTI_ROW):
            self.conn.execute(_upsert(dialect, rows[start : start + _MULTI_ROW]))

    def indexed_count(self) -> int:
        return int(self.conn.execute(_INDEXED).scalar_one())

    def source_count(self) -> int:
        """How many cases there are to index (for a progress bar)."""
        return int(self.conn.execute(_CASES).scalar_one())

    def sources(self, *, after_id: int, limit: int) -> list[RowMapping]:
        """The columns a search document is built from, for cases with id > after_id."""
        params = {"s_after": after_id, "s_limit": limit}
        return list(self.conn.execute(_SOURCE, params).mappings().all())

    def search(
        self,
        terms: Sequence[QueryTerm],
        scope: SearchScope,
        *,
        limit: int,
        after: int | None = None,
    ) -> list[RowMapping]:
        """Case rows containing every term, newest first, below the keyset cursor `after`.

        PostgreSQL first looks among the newest PG_WINDOW documents (a common word fills the
        page there); only when that finds fewer than `limit` does it read all matches through
        the GIN index (then the term is rare, so there are few). Both steps are bounded."""
        if self.conn.dialect.name == "postgresql":
            stmt, params = self.statement(terms, scope, limit=limit, after=after, plan="recent")
            rows = list(self.conn.execute(stmt, params).mappings().all())
            if len(rows) >= limit:
                return rows
        stmt, params = self.statement(terms, scope, limit=limit, after=after)
        return list(self.conn.execute(stmt, params).mappings().all())

    def statement(
        self,
        terms: Sequence[QueryTerm],
        scope: SearchScope,
        *,
        limit: int,
        after: int | None = None,
        plan: str = "gin",
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The prebuilt statement and its parameters (the benchmark runs the same SQL bare)."""
        dialect = self.conn.dialect.name
        shape = (
            dialect,
            plan if dialect == "postgresql" else "",
            scope.buyer_id is not None,
            scope.shop_id is not None,
            None if scope.team_ids is None else bool(scope.team_ids),
            after is not None,
        )
        stmt = _SEARCHES.get(shape)
        if stmt is None:
            stmt = _SEARCHES[shape] = _statement(dialect, scope, after is not None, plan)
        match = fts5_match(terms) if dialect == "sqlite" else pg_tsquery(terms)
        params: dict[str, Any] = {
            "q_match": match,
            "q_buyer": scope.buyer_id,
            "q_shop": scope.shop_id,
            "q_teams": list(scope.team_ids or ()),
            "q_user": scope.user_id,
            "q_limit": limit,
            "q_window": PG_WINDOW,
        }
        if after is not None:
            params["q_after"] = after
        return stmt, params
