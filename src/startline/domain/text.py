"""Text rules every door shares: what a control character is."""

from __future__ import annotations

import re

# C0 controls (U+0000..U+001F) and DEL (U+007F), as the body of a regex character class so
# that rules which refuse more (a city's `<>`) can build on it.
CONTROL_CHARACTER_CLASS = r"\x00-\x1f\x7f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTER_CLASS}]")


def has_control_character(text: str) -> bool:
    """True when `text` holds a control character (DEL included)."""
    return _CONTROL.search(text) is not None
