"""/api/v1 speaks the Tracx dialect's tokens: the same world and tokens."""

from tests.contract.tracx.conftest import Tokens, tokens, world  # noqa: F401
