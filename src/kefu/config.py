"""Settings: a frozen dataclass built from the environment by load_settings(); no I/O at import."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kefu.domain.case import DEFAULT_UPLOAD_LIMITS


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./var/kefu.db"
    var_dir: Path = Path("./var")
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    run_worker: bool = True
    worker_interval_s: float = 2.0
    reopen_window_days: int = 15
    first_response_hours: int = 24
    max_upload_bytes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_UPLOAD_LIMITS))
    default_team: str = "cs"
    log_json: bool = True
    # Email channel (issue 3). No SMTP host: outgoing case mail is logged, not sent.
    mail_from: str = "kefu@localhost"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # No IMAP host: the worker does not poll (mail may still arrive via `kefu mail smtpd`).
    imap_host: str = ""
    imap_port: int = 143
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_processed_folder: str = ""
    imap_ssl: bool = False
    imap_poll_interval_s: float = 60.0

    @property
    def blob_dir(self) -> Path:
        return self.var_dir / "blobs"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret(var_dir: Path) -> str:
    """Stable per-install secret: from KEFU_SECRET_KEY, else generated once under var/."""
    from_env = os.environ.get("KEFU_SECRET_KEY")
    if from_env:
        return from_env
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(**overrides: object) -> Settings:
    """Read KEFU_* variables; explicit overrides win."""
    env = os.environ
    var_dir = Path(str(overrides.pop("var_dir", env.get("KEFU_VAR_DIR", "./var"))))
    default_db = f"sqlite:///{var_dir / 'kefu.db'}"
    settings = Settings(
        database_url=env.get("KEFU_DATABASE_URL", default_db),
        var_dir=var_dir,
        host=env.get("KEFU_HOST", "127.0.0.1"),
        port=int(env.get("KEFU_PORT", "8000")),
        reopen_window_days=int(env.get("KEFU_REOPEN_WINDOW_DAYS", "15")),
        log_json=env.get("KEFU_LOG_FORMAT", "json") == "json",
        **_mail_settings(env),
    )
    if "secret_key" not in overrides:
        overrides["secret_key"] = _secret(var_dir)
    return settings.with_(**overrides)


def _mail_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """KEFU_MAIL_FROM, KEFU_SMTP_* and KEFU_IMAP_* (the email channel)."""

    def flag(name: str) -> bool:
        return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}

    imap_ssl = flag("KEFU_IMAP_SSL")
    return {
        "mail_from": env.get("KEFU_MAIL_FROM", "kefu@localhost"),
        "smtp_host": env.get("KEFU_SMTP_HOST", ""),
        "smtp_port": int(env.get("KEFU_SMTP_PORT", "25")),
        "smtp_user": env.get("KEFU_SMTP_USER", ""),
        "smtp_password": env.get("KEFU_SMTP_PASSWORD", ""),
        "smtp_starttls": flag("KEFU_SMTP_STARTTLS"),
        "imap_host": env.get("KEFU_IMAP_HOST", ""),
        "imap_port": int(env.get("KEFU_IMAP_PORT", "993" if imap_ssl else "143")),
        "imap_user": env.get("KEFU_IMAP_USER", ""),
        "imap_password": env.get("KEFU_IMAP_PASSWORD", ""),
        "imap_folder": env.get("KEFU_IMAP_FOLDER", "INBOX"),
        "imap_processed_folder": env.get("KEFU_IMAP_PROCESSED_FOLDER", ""),
        "imap_ssl": imap_ssl,
        "imap_poll_interval_s": float(env.get("KEFU_IMAP_POLL_INTERVAL_S", "60")),
    }
