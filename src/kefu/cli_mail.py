"""Command line of the email channel: fetch, the SMTP receiver, failed mail and its mending."""

from __future__ import annotations

import getpass
import threading
from typing import Annotated

import typer

from kefu.bootstrap import upgrade_database
from kefu.cli_support import app_from_env as _app
from kefu.cli_support import console
from kefu.cli_support import fail as _fail
from kefu.domain.errors import DomainError

mail_cli = typer.Typer(help="email channel 邮件渠道")


@mail_cli.command("fetch")
def mail_fetch() -> None:
    """Poll the IMAP mailbox once (KEFU_IMAP_HOST/PORT/USER/PASSWORD/FOLDER/SSL)."""
    from kefu.mailroom import poll_imap

    app = _app()
    if not app.settings.imap_host:
        console.print("[red]未配置 IMAP / IMAP is not configured: set KEFU_IMAP_HOST[/red]")
        raise typer.Exit(2)
    upgrade_database(app.settings)
    result = poll_imap(app)
    console.print(f"fetched {result.fetched}, failed {result.failed}")
    for error in result.errors:
        console.print(f"  {error}")
    if result.failed:
        raise typer.Exit(1)


@mail_cli.command("smtpd")
def mail_smtpd(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 2525,
) -> None:
    """Run the built-in SMTP receiver; each mail goes through the intake before the 250."""
    from kefu.mailroom import start_receiver

    app = _app()
    upgrade_database(app.settings)
    controller = start_receiver(app, host, port)
    console.print(f"kefu SMTP receiver on {host}:{port} (Ctrl-C stops)")
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def _say(line: str) -> None:
    # Mail text (subjects, errors) is not rich markup; a long line wraps in the terminal, not here.
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@mail_cli.command("failures")
def mail_failures(
    limit: Annotated[int, typer.Option(min=1, help="at most this many of each kind")] = 100,
) -> None:
    """List inbound mail whose intake failed (retried, or given up) and outgoing mail given up."""
    from kefu.mailroom import failures_report

    app = _app()
    upgrade_database(app.settings)
    for line in failures_report(app, limit):
        _say(line)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "cli"


@mail_cli.command("retake")
def mail_retake(
    mail_id: Annotated[int, typer.Argument(help="the #id `kefu mail failures` shows")],
    by: Annotated[
        str | None, typer.Option(help="who takes it in again, for the record (default: login)")
    ] = None,
) -> None:
    """Take a given-up inbound mail in again from its stored raw bytes, once its cause is mended."""
    from kefu.mailroom import retake, retake_report

    app = _app()
    upgrade_database(app.settings)
    try:
        done = retake(app, mail_id, by or _login_name())
    except DomainError as exc:
        _fail(exc)
    for line in retake_report(done):
        _say(line)
    if done.failed_again:
        raise typer.Exit(1)


@mail_cli.command("resend")
def mail_resend(
    mail_id: Annotated[int, typer.Argument(help="the #id of an outgoing mail given up")],
    by: Annotated[
        str | None, typer.Option(help="who sends it again, for the record (default: login)")
    ] = None,
) -> None:
    """Queue a given-up outgoing mail again; the worker's relay sends it, with its retry cap."""
    from kefu.mailroom import resend, resend_report

    app = _app()
    upgrade_database(app.settings)
    try:
        done = resend(app, mail_id, by or _login_name())
    except DomainError as exc:
        _fail(exc)
    for line in resend_report(done):
        _say(line)
