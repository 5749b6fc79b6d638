"""What every command group shares: how a group is made, and the common options."""

from __future__ import annotations

from typing import Annotated

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def command_group(help: str) -> typer.Typer:
    """A `startline <group>` of subcommands; plain help text (no rich import at start)."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
