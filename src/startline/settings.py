"""Server settings, read from the environment with the STARTLINE_ prefix."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)


class SettingsError(RuntimeError):
    """The configuration cannot run a server (said in one line to the operator)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STARTLINE_", extra="ignore")

    data_dir: Path = Path(".startline")
    database_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    base_url: str = "http://127.0.0.1:8000"
    log_level: str = "info"
    # SQLite durability: FULL survives power loss (an fsync per commit); NORMAL survives a
    # process crash only, and writes faster.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"

    # Request size limits (bytes / items).
    max_body_bytes: int = 1024 * 1024
    batch_max_bytes: int = 32 * 1024 * 1024
    batch_max_items: int = 50_000

    # RunSignup dialect.
    race_create_limit: int = 10  # new races per client IP per window; 0 disables
    race_create_window_seconds: int = 15 * 60
    login_max_failures: int = 10
    login_failure_window_seconds: int = 15 * 60
    tmp_credentials_idle_seconds: int = 60 * 60
    signature_window_seconds: int = 5 * 60
    nonce_window_seconds: int = 15 * 60

    # Tracx dialect.
    session_token_ttl_seconds: int = 60 * 60

    # Per-credential request limits (0 = off, the single-tenant default).
    rate_limit_per_minute: int = 0

    # Benchmark-only routes (never on in production).
    enable_bench_routes: bool = False

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the common libpq-style URL and route it to psycopg 3.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{(self.data_dir / 'startline.db').resolve()}"

    def database_options(self) -> dict[str, str]:
        """Keyword arguments for `Database(...)` from these settings."""
        return {"sqlite_synchronous": self.sqlite_synchronous}

    def resolved_secret_key(self) -> str:
        """The server secret: configured, or (embedded default only) kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        if not self.is_embedded:
            raise SettingsError(
                "STARTLINE_SECRET_KEY must be set when STARTLINE_DATABASE_URL is not SQLite "
                "(every server process must share one key)."
            )
        return load_or_create_secret_key(self.data_dir)


def load_or_create_secret_key(data_dir: Path) -> str:
    """Read the generated key, or create it with mode 0600 on first start."""
    path = data_dir / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
