"""One line on stderr and exit code 1 for every mistake, never a traceback: the root command
group turns usage errors and the known failures (settings, domain rules, files, the database)
into `error: <what to do>`; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

EXIT_ERROR = 1
# Typer vendors its own copy of click in newer versions: reach click's classes through
# Typer's public ones, so this works with either.
UsageError: type[Exception] = typer.BadParameter.__mro__[1]
ClickException: Any = UsageError.__mro__[1]
_PASS_THROUGH = (typer.Exit, typer.Abort)


class CliError(ClickException):
    """A mistake said in one line (`error: ...`) with exit code 1."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # driver messages span lines

    def show(self, file: Any = None) -> None:
        print(f"error: {self.format_message()}", file=file or sys.stderr)


def fail(message: str) -> NoReturn:
    raise CliError(message)


def explain(exc: BaseException) -> str | None:
    """The one-line message for a known kind of failure; None for a bug."""
    from startline.domain.errors import DomainError
    from startline.settings import SettingsError

    if isinstance(exc, SettingsError | DomainError):
        return str(exc)
    if isinstance(
        exc, PermissionError | FileNotFoundError | IsADirectoryError | NotADirectoryError
    ):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}"
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            return f"database error: {exc.orig}"
    return None


def _usage_message(exc: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "startline"
    return f"{exc.format_message()} (see `{command} --help`)"


class OneLineErrors(TyperGroup):
    """The root group: every error raised while parsing or running a command is one line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        with _one_line():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _one_line():
            return super().invoke(ctx)


@contextmanager
def _one_line() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        message = _message_for(exc)
        if message is None:
            raise
        raise CliError(message) from None


def _message_for(exc: Exception) -> str | None:
    """The one line for `exc`; None to let it through (typer's own exits, the help a bare
    group prints, a bug)."""
    if isinstance(exc, (CliError, *_PASS_THROUGH)) or type(exc).__name__ == "NoArgsIsHelpError":
        return None
    if isinstance(exc, UsageError):
        return _usage_message(exc)
    if isinstance(exc, ClickException):
        return None
    return explain(exc)
