"""Full-text search over cases: search documents (built once in Python), queries, reindexing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from kefu.analysis import tokenize
from kefu.analysis.search_terms import (
    CJK_SPLIT,
    PIECE,
    index_terms,
    join_terms,
    key_terms,
    text_terms,
)
from kefu.db.search import QueryTerm, SearchScope
from kefu.domain import rbac
from kefu.domain.case import Case
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.rbac import Permission
from kefu.domain.types import MAX_ROW_ID, Actor
from kefu.services import views
from kefu.services.unit_of_work import UnitOfWork

__all__ = ["index_terms", "join_terms", "key_terms", "text_terms"]

QUERY_MAX_CHARS = 100
LIMIT_MAX = 200
REINDEX_BATCH = 2000


def reindex_case(uow: UnitOfWork, case: Case) -> None:
    """Write the case's search document inside the caller's open unit of work."""
    assert case.id is not None
    terms = index_terms(case.subject, case.description, case.number, case.order_no)
    uow.search.index_case(case.id, terms)


def query_terms(q: str) -> list[QueryTerm]:
    """Terms every hit must contain. CJK runs become their bigrams (a run of one character a
    prefix term); Latin/digit words are prefix terms, so "iphone" finds "iphone15" and a case
    number's first digits find that day's cases. Raises InvalidInput (field q) when empty or
    too long."""
    stripped = q.strip()
    if not stripped:
        raise InvalidInput([FieldError("q", "required", "请输入搜索词", "enter a search term")])
    if len(stripped) > QUERY_MAX_CHARS:
        raise InvalidInput(
            [
                FieldError(
                    "q",
                    "too_long",
                    f"搜索词过长（最多 {QUERY_MAX_CHARS} 个字符）",
                    f"the search term is too long (at most {QUERY_MAX_CHARS} characters)",
                )
            ]
        )
    seen: dict[QueryTerm, None] = {}
    for piece in PIECE.findall(tokenize.normalize(stripped)):
        for i, part in enumerate(CJK_SPLIT.split(piece)):
            if not part:
                continue
            # split() puts the captured CJK runs at odd positions; other words and a lone
            # character match as prefixes (no index holds single characters on their own).
            if i % 2 == 0 or len(part) == 1:
                seen[QueryTerm(part, prefix=True)] = None
            else:
                for j in range(len(part) - 1):
                    seen[QueryTerm(part[j : j + 2])] = None
    if not seen:
        raise InvalidInput(
            [
                FieldError(
                    "q",
                    "no_terms",
                    "搜索词中没有可检索的文字或数字",
                    "the search term has no letters, digits or characters to search for",
                )
            ]
        )
    return list(seen)


def scope_for(actor: Actor) -> SearchScope:
    """The same visibility as the queues (rbac.case_scope), in the search repository's terms."""
    scope = rbac.case_scope(actor)
    return SearchScope(scope.buyer_id, scope.shop_id, scope.team_ids, scope.user_id)


@dataclass(frozen=True)
class SearchPage:
    items: list[views.QueueItem]
    next_cursor: str | None


def encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"s{case_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith("s"):
            raise ValueError(raw)
        case_id = int(raw[1:])
        if not 0 <= case_id <= MAX_ROW_ID:  # a forged cursor: the id column cannot hold it
            raise ValueError(raw)
        return case_id
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidInput(
            [FieldError("cursor", "invalid", "分页游标无效", "invalid cursor")]
        ) from exc


def search_cases(
    uow: UnitOfWork, *, actor: Actor, q: str, limit: int = 50, cursor: str | None = None
) -> SearchPage:
    """Cases the actor may see whose subject, description, case number or order number contain
    every term of q, newest first, masked like queue rows; `cursor` continues a previous page."""
    rbac.require(actor, Permission.LIST_CASES)
    terms = query_terms(q)
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput(
            [
                FieldError(
                    "limit",
                    "out_of_range",
                    f"每页数量须在 1 到 {LIMIT_MAX} 之间",
                    f"limit must be between 1 and {LIMIT_MAX}",
                )
            ]
        )
    after = decode_cursor(cursor) if cursor else None
    with uow:
        rows = uow.search.search(terms, scope_for(actor), limit=limit + 1, after=after)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["id"])
    # Same masking as the queue: only the buyer sees their own contact details unmasked.
    items = [views._queue_item(r, masked=r["buyer_id"] != actor.user_id) for r in rows]
    return SearchPage(items, next_cursor)


def reindex_batch(uow: UnitOfWork, *, after_id: int, size: int = REINDEX_BATCH) -> tuple[int, int]:
    """(Re)build the documents of the next `size` cases after `after_id` in one transaction;
    returns (last case id done, cases done)."""
    with uow:
        rows = uow.search.sources(after_id=after_id, limit=size)
        uow.search.index_many(
            (
                r["id"],
                index_terms(r["subject"], r["description"], r["number"], r["order_no"]),
            )
            for r in rows
        )
        uow.commit()
    return (int(rows[-1]["id"]) if rows else after_id), len(rows)


def case_count(uow: UnitOfWork) -> int:
    with uow:
        return uow.search.source_count()


def reindex_all(
    new_uow: Callable[[], UnitOfWork],
    *,
    size: int = REINDEX_BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild every case's search document, `size` cases per transaction (readers and intake
    are never blocked for long); `progress` gets the count done after each batch."""
    after, total = 0, 0
    while True:
        after, done = reindex_batch(new_uow(), after_id=after, size=size)
        if not done:
            return total
        total += done
        if progress is not None:
            progress(done)
