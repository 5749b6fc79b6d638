"""The installed startline's version, from the package metadata (pyproject.toml's)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("startline")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0+unknown"
