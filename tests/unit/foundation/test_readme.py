"""The README's CLI section stays complete: every command `startline --help` knows is in its
command list, and its permissions line names every permission the server knows."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.core import TyperGroup

from startline.cli import app
from startline.domain.accounts.service import PERMISSIONS

README = Path(__file__).resolve().parents[3] / "README.md"


def _cli_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## The CLI") : text.index("## More")]


def _listed_commands(section: str) -> set[str]:
    """`group command` for each command a line of the command list names; a line may name
    several (`startline webhooks list | disable ID | enable ID`)."""
    listed: set[str] = set()
    for line in section.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "startline" or words[1].startswith("-"):
            continue
        group, rest = words[1], line.split(None, 2)[2:] or [""]
        listed.add(group)
        for part in rest[0].split("#")[0].split(" | "):
            if part.split() and not part.split()[0].startswith(("-", "[", "(")):
                listed.add(f"{group} {part.split()[0]}")
    return listed


def _known_commands() -> set[str]:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    known: set[str] = set()
    for name, command in root.commands.items():
        known.add(name)
        for sub in getattr(command, "commands", {}):
            known.add(f"{name} {sub}")
    return known


def test_every_command_is_in_the_readme() -> None:
    listed = _listed_commands(_cli_section())
    missing = sorted(_known_commands() - listed)
    assert missing == [], f"add these to the README's command list: {missing}"
    assert {"races list", "participants delete", "worker", "webhooks test"} <= listed


def test_every_permission_is_in_the_readme() -> None:
    section = _cli_section()
    start = section.index("Permissions:")
    named = re.findall(r"`(permissions\.[a-z.-]+)`", section[start : section.index("\n\n", start)])
    assert sorted(named) == sorted(PERMISSIONS)
