"""Server settings, read from the environment with the STARTLINE_ prefix; `load_settings()`
turns a bad value into one line naming its variable."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
ENV_PREFIX = "STARTLINE_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
# URL schemes startline runs on (postgres:// and postgresql:// are run with psycopg 3).
SUPPORTED_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg")
_NEVER_ECHOED = frozenset({"secret_key", "database_url"})  # may carry a password


class SettingsError(RuntimeError):
    """The configuration cannot run a server (said in one line to the operator)."""


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment; a bad value is a SettingsError naming its variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_invalid(exc)) from None


def describe_invalid(exc: ValidationError) -> str:
    """One line for the first invalid setting: `STARTLINE_X=value: what is wrong`."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = ENV_PREFIX + field.upper()
    reason = {
        "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "float_parsing": "expected a number",
        "bool_parsing": "expected true or false",
    }.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
    if field in _NEVER_ECHOED:
        return f"{variable}: {reason}"
    return f"{variable}={error.get('input')}: {reason}"


MAX_RETRY_DELAY_SECONDS = 7 * 86400


def parse_schedule(value: str) -> tuple[float, ...]:
    """`5,300,1800`: the seconds to wait before each retry, in order (at least one)."""
    delays: list[float] = []
    for part in value.split(","):
        try:
            delay = float(part.strip())
        except ValueError:
            raise ValueError(
                "expected comma-separated seconds between attempts, like 5,300,1800"
            ) from None
        if not 0 <= delay <= MAX_RETRY_DELAY_SECONDS or delay != delay:
            raise ValueError(f"each delay must be from 0 to {MAX_RETRY_DELAY_SECONDS} seconds")
        delays.append(delay)
    return tuple(delays)


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
    # Threads (and connections) per process that write race-day upserts on PostgreSQL, many
    # per transaction (group commit); SQLite has one writer whatever this says.
    postgresql_writers: int = Field(default=2, ge=1, le=16)

    # Database connections per server process (None: per-database default, see db/engine.py).
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)

    # Serving: seconds a stopping server lets running requests finish (a 50,000-runner batch
    # can take longer than uvicorn's 10 s); proxy headers trusted from these addresses only.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1"

    # Request size limits (bytes / items).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    batch_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1)
    batch_max_items: int = Field(default=50_000, ge=1)

    # RunSignup dialect.
    race_create_limit: int = Field(default=10, ge=0)  # new races per IP per window; 0 disables
    race_create_window_seconds: int = Field(default=15 * 60, ge=1)
    login_max_failures: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    tmp_credentials_idle_seconds: int = Field(default=60 * 60, ge=1)
    signature_window_seconds: int = Field(default=5 * 60, ge=1)
    nonce_window_seconds: int = Field(default=15 * 60, ge=1)

    # Tracx dialect.
    session_token_ttl_seconds: int = Field(default=60 * 60, ge=1)

    # The change journal: entries are kept at least this long (`startline changes prune`).
    changes_retention_days: int = Field(default=30, ge=1)

    # Webhooks: the retry schedule (seconds between attempts, comma-separated), targets on
    # private networks, the time an attempt may take, how often a sender looks for work, how
    # long a receiver may fail before its subscription is disabled, parallel sends per
    # process, and whether `startline serve` runs a sender (off: run `startline worker`).
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,50400,72000,86400"
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    webhook_concurrency: int = Field(default=4, ge=1, le=32)
    webhook_sender: bool = True

    # Per-credential request limits (0 = off, the single-tenant default).
    rate_limit_per_minute: int = Field(default=0, ge=0)

    # Public race pages (`/`, each race's `url`) and their read API; off: all a 404.
    public_pages: bool = True
    # Live pages: how often each process reads the journal head, and the SSE keep-alive.
    pages_poll_interval_seconds: float = Field(default=0.25, gt=0, le=0.25)
    pages_keepalive_seconds: float = Field(default=15.0, gt=0, le=300)

    # Benchmark-only routes (never on in production).
    enable_bench_routes: bool = False

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return value.lower()

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return parse_schedule(self.webhook_retry_schedule)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme = value.partition("://")[0].lower() if "://" in value else ""
        if scheme not in SUPPORTED_SCHEMES:
            shown = f"{scheme!r} is not supported" if scheme else "not a database URL"
            raise ValueError(
                f"{shown}: use sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a valid URL: use sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB"
            ) from None
        return value

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

    def database_options(self) -> dict[str, Any]:
        """Keyword arguments for `Database(...)` from these settings."""
        return {
            "sqlite_synchronous": self.sqlite_synchronous,
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
        }

    @property
    def safe_database_url(self) -> str:
        """The database URL without its password, for messages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

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
    except OSError as exc:
        raise SettingsError(f"cannot read {path.resolve()}: {exc.strerror}") from None
    key = secrets.token_urlsafe(48)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"cannot write {path.resolve()}: {exc.strerror} (check STARTLINE_DATA_DIR, its owner "
            "and mode)"
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
