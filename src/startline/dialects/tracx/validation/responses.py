"""Laravel's words for Tracx errors: attribute names, `unique`'s message and the 422 body."""

from __future__ import annotations

from typing import Any


def attribute_name(key: str) -> str:
    """Laravel's displayable attribute: str_replace('_', ' ', Str::snake($key))."""
    return key.replace("_", " ")


def taken_message(field: str, key_prefix: str = "") -> str:
    """Laravel's `unique` message: "The chip code has already been taken."."""
    return f"The {attribute_name(key_prefix + field)} has already been taken."


def error_response_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Laravel's 422 body, with ValidationException::summarize()'s message."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    if not messages:
        return {"message": "The given data was invalid.", "errors": errors}
    more = len(messages) - 1
    message = messages[0]
    if more:
        message += f" (and {more} more {'error' if more == 1 else 'errors'})"
    return {"message": message, "errors": errors}
