"""The tracx dialect: mounted on the app by install()."""

from __future__ import annotations

from fastapi import FastAPI

from startline.http.context import Services


def install(app: FastAPI, services: Services) -> None:
    """Mount this dialect's routes, error renderers and body limits (being built)."""
