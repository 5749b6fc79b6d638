"""The `startline` command: serve, the database, and the admin commands for accounts and
credentials; one module per command group, each with a `register(root)`.

To add a group: a module with `app = command_group(...)` and `register(root)`, listed in
COMMAND_MODULES. Keep its imports light (typer and `startline.cli.*` at the top; domain,
database and server code inside the commands): every command must start fast, and
`tests/integration/test_cli_startup.py` checks that the server stack stays unimported."""

from __future__ import annotations

from typing import Annotated

import typer

from startline.cli import (
    changes,
    db,
    demo,
    keys,
    participants,
    partners,
    races,
    serve,
    timers,
    tokens,
    users,
    webhooks,
    worker,
)
from startline.cli.errors import OneLineErrors

app = typer.Typer(
    cls=OneLineErrors,
    help="startline: a race-management server with RunSignup- and Tracx-compatible APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

COMMAND_MODULES = (
    serve,
    worker,
    db,
    users,
    keys,
    partners,
    timers,
    tokens,
    races,
    participants,
    demo,
    changes,
    webhooks,
)
for _module in COMMAND_MODULES:
    _module.register(app)


def _print_version(asked: bool) -> None:
    if asked:
        from startline.version import VERSION

        print(f"startline {VERSION}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """startline: a race-management server with RunSignup- and Tracx-compatible APIs."""


def main() -> None:
    app()
