"""What every command line module shares: the app from the environment, the console, failing."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from kefu.bootstrap import App, build_app
from kefu.config import load_settings
from kefu.domain.errors import DomainError
from kefu.logs import configure_logging

console = Console()


def app_from_env() -> App:
    """The app the environment configures (KEFU_*), logging set up as it says."""
    settings = load_settings()
    configure_logging(json_logs=settings.log_json)
    return build_app(settings)


def fail(exc: DomainError) -> NoReturn:
    """Print a refusal (zh, en, each field at fault) and exit 2."""
    console.print(f"[red]{exc.zh}[/red]\n{exc.en}")
    for f in exc.fields:
        console.print(f"  {f.field}: {f.zh} / {f.en}")
    raise typer.Exit(2)
