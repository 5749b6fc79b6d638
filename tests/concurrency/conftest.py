"""Concurrency tests reuse the contract suites' fixtures: `rsu` (a RunSignup client with an
owner, API key and partner) and the Tracx `world` and `tokens`."""

from tests.contract.runsignup.conftest import rsu  # noqa: F401
from tests.contract.tracx.conftest import tokens, world  # noqa: F401
