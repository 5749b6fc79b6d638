"""Fuzzing budget: STARTLINE_FUZZ_EXAMPLES examples per operation and generation mode
(default 8, CI-sized; e.g. 500 for a deep local run). Deep runs are randomised; the CI-sized
default is derandomised so the same cases run every time."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.hostile.conftest import world  # noqa: F401 (the fuzzers attack the same world)

EXAMPLES = int(os.environ.get("STARTLINE_FUZZ_EXAMPLES", "8"))
DEEP = EXAMPLES > 8


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not DEEP,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
