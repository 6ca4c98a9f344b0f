"""Command line: serve, worker, db, demo, users, orders, calendar, search (mail: cli_mail)."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from kefu.bootstrap import App, upgrade_database
from kefu.cli_mail import mail_cli
from kefu.cli_support import app_from_env as _app
from kefu.cli_support import console
from kefu.cli_support import fail as _fail
from kefu.config import load_settings
from kefu.domain.errors import DomainError
from kefu.domain.types import SYSTEM_ACTOR

app_cli = typer.Typer(help="kefu 客服 — after-sales and complaint handling", no_args_is_help=True)
db_cli = typer.Typer(help="database 数据库")
users_cli = typer.Typer(help="users 用户")
orders_cli = typer.Typer(help="orders 订单")
app_cli.add_typer(db_cli, name="db")
app_cli.add_typer(users_cli, name="users")
app_cli.add_typer(orders_cli, name="orders")
calendar_cli = typer.Typer(help="calendars 工作日历 (holidays, 调休, overrides)")
app_cli.add_typer(calendar_cli, name="calendar")
app_cli.add_typer(mail_cli, name="mail")
search_cli = typer.Typer(help="full-text search 全文检索")
app_cli.add_typer(search_cli, name="search")


def _serve(app: App, host: str, port: int, with_worker: bool, workers: int = 1) -> None:
    import uvicorn

    from kefu.web.asgi import warm_up
    from kefu.worker import start_in_thread

    stop: threading.Event | None = None
    if with_worker:  # one background worker, in this process, whatever the web processes
        _, stop = start_in_thread(app)
    try:
        if workers > 1:
            from kefu.web.processes import serve as serve_processes

            # Each web process builds its app from the same KEFU_* environment and listens on
            # its own socket, so the kernel spreads connections across them (web/processes.py).
            code = serve_processes(
                "kefu.web.asgi:create",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
            )
            if code:
                raise typer.Exit(code)
        else:
            uvicorn.run(warm_up(app), host=host, port=port, log_level="warning", access_log=False)
    finally:
        if stop is not None:
            stop.set()


@app_cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker")] = True,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="web processes (the worker stays one)")
    ] = 1,
) -> None:
    """Web + API (+ worker) in one process. Applies migrations; never adds demo data."""
    app = _app()
    upgrade_database(app.settings)
    console.print(
        f"kefu 客服 listening on http://{host}:{port}  (database: {app.engine.dialect.name}, "
        f"{workers} web process{'es' if workers > 1 else ''})"
    )
    _serve(app, host, port, worker, workers)


@app_cli.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Migrate, load demo data (once) and serve on http://127.0.0.1:8000."""
    from kefu.demo import DEMO_PASSWORD, PEOPLE, load_demo

    app = _app()
    upgrade_database(app.settings)
    result = load_demo(app)
    if result.loaded:
        console.print(f"demo data loaded: {result.orders} orders, {result.cases} cases")
    else:
        console.print("demo data already present (var/ kept); nothing added")
    console.print(
        f"\n  kefu 客服 demo: http://{host}:{port}/   API docs: http://{host}:{port}/docs"
    )
    console.print(f"  logins (password {DEMO_PASSWORD}):")
    for username, roles, shop, _teams, display in PEOPLE:
        console.print(f"    {username:<11} {','.join(roles):<13} {shop or '':<7} {display}")
    if serve_after:
        _serve(app, host, port, True)


@app_cli.command("worker")
def worker_cmd(once: Annotated[bool, typer.Option("--once")] = False) -> None:
    """Run the background worker (outbox relay, sweeps); --once runs one pass and exits."""
    from kefu.worker import run, run_once

    app = _app()
    if once:
        console.print(f"delivered {run_once(app)} outbox rows")
        return
    stop = threading.Event()
    try:
        run(app, stop)
    except KeyboardInterrupt:
        stop.set()


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to head."""
    settings = load_settings()
    upgrade_database(settings)
    console.print("database is at head")


@users_cli.command("create")
def users_create(
    username: str,
    role: Annotated[
        list[str], typer.Option("--role", help="buyer seller agent tech_support supervisor admin")
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    shop: Annotated[str | None, typer.Option()] = None,
    team: Annotated[list[str] | None, typer.Option()] = None,
    name: Annotated[str, typer.Option()] = "",
    buyer_ref: Annotated[str | None, typer.Option()] = None,
    token: Annotated[bool, typer.Option("--token", help="also print an API token")] = False,
) -> None:
    """Create a user (and optionally an API token)."""
    from kefu.services.users import create_user, issue_token

    app = _app()
    upgrade_database(app.settings)
    try:
        user = create_user(
            app.uow(),
            actor=SYSTEM_ACTOR,
            username=username,
            password=password,
            roles=role,
            display_name=name,
            shop_code=shop,
            team_codes=team or [],
            buyer_ref=buyer_ref,
            now=app.clock.now(),
        )
    except DomainError as exc:
        _fail(exc)
    roles = ", ".join(sorted(r.value for r in user.roles))
    console.print(f"created user {user.username} (id {user.id}) roles {roles}")
    if token:
        console.print(issue_token(app.uow(), username=username, name="cli", now=app.clock.now()))


@users_cli.command("token")
def users_token(username: str, name: str = "cli") -> None:
    """Issue an API token for an existing user (printed once)."""
    from kefu.services.users import issue_token

    app = _app()
    try:
        console.print(issue_token(app.uow(), username=username, name=name, now=app.clock.now()))
    except DomainError as exc:
        _fail(exc)


@orders_cli.command("import")
def orders_import(file: Path, batch: Annotated[int, typer.Option()] = 500) -> None:
    """Import orders from FILE.csv or FILE.jsonl (UTF-8 or GBK/GB18030): per-row error report."""
    from kefu.order_files import check_order_file, error_place, read_order_file
    from kefu.services.orders import import_batches

    if not file.is_file():
        console.print(f"[red]文件不存在 file not found: {file}[/red]")
        raise typer.Exit(2)
    try:
        encoding = check_order_file(file)
    except DomainError as exc:
        _fail(exc)
    app = _app()
    upgrade_database(app.settings)
    total_bytes = file.stat().st_size
    with Progress(
        TextColumn("导入 importing"),
        BarColumn(),
        TextColumn("{task.completed} orders"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("import", total=None)
        report = import_batches(
            app.uow,
            actor=SYSTEM_ACTOR,
            raw_items=read_order_file(file, encoding),
            now=app.clock.now(),
            batch_size=batch,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(
        f"created {report.created}, updated {report.updated}, failed {report.failed}"
        f" ({total_bytes} bytes read)"
    )
    for item in report.items:
        if item.status == "error":
            for e in item.errors or ():
                console.print(f"  {error_place(item.ref, e.field)}: {e.zh} / {e.en}")
    if report.failed:
        raise typer.Exit(1)


@calendar_cli.command("import")
def calendar_import(file: Path) -> None:
    """Import overrides from FILE.csv (calendar,date,working,hours,note); per-row error report."""
    from kefu.services.calendars import import_overrides
    from kefu.services.deadline_sweep import refresh_provisional_clocks

    if not file.exists():
        console.print(f"[red]文件不存在 file not found: {file}[/red]")
        raise typer.Exit(2)
    app = _app()
    upgrade_database(app.settings)
    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(n, row) for n, row in enumerate(csv.DictReader(fh), 2)]
    written, problems = import_overrides(
        app.uow(), actor=SYSTEM_ACTOR, rows=rows, now=app.clock.now()
    )
    recomputed = refresh_provisional_clocks(app.uow, app.clock.now())
    console.print(
        f"已导入 imported {written}, 出错 failed {len(problems)}; "
        f"重算暂定期限 provisional deadlines recomputed {recomputed}"
    )
    for p in problems:
        for e in p.errors:
            console.print(f"  row {p.row}: {e.field}: {e.zh} / {e.en}")
    if problems:
        raise typer.Exit(1)


@search_cli.command("reindex")
def search_reindex(
    batch: Annotated[int, typer.Option(min=1, help="cases per transaction")] = 2000,
) -> None:
    """(Re)build the search index of every case, in batches (existing databases, bench data)."""
    from kefu.services import search as search_svc

    app = _app()
    upgrade_database(app.settings)
    total = search_svc.case_count(app.reader())
    with Progress(
        TextColumn("重建索引 reindexing"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("reindex", total=total)
        done = search_svc.reindex_all(app.uow, size=batch, progress=lambda n: bar.advance(task, n))
    console.print(f"已索引 indexed {done} 个案件 cases")


def main() -> None:
    app_cli(prog_name="kefu")


if __name__ == "__main__":
    main()
