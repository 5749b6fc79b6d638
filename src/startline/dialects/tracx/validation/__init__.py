"""Laravel-faithful validation of Tracx participants: Laravel 10+ rule semantics and messages."""

from startline.dialects.tracx.validation.participants import (
    BATCH_ATTRIBUTE,
    ValidationResult,
    validate_participant,
    validate_participant_by_rules,
    validate_participants,
)
from startline.dialects.tracx.validation.php import (
    filter_validate_int,
    php_float_string,
    php_string,
)
from startline.dialects.tracx.validation.rules import (
    GENDERS,
    PARTICIPANT_FIELDS,
    STATES,
    required,
    taken_message,
)

__all__ = [
    "BATCH_ATTRIBUTE",
    "GENDERS",
    "PARTICIPANT_FIELDS",
    "STATES",
    "ValidationResult",
    "filter_validate_int",
    "php_float_string",
    "php_string",
    "required",
    "taken_message",
    "validate_participant",
    "validate_participant_by_rules",
    "validate_participants",
]
