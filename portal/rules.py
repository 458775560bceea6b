"""The one way an operation refuses a change: ``RuleError`` names why, and where.

Operations raise it (or a domain subclass) with a message for people, already
translated or lazy, and the form field it belongs to when there is one; views
show it next to that field with ``show_on_form``, or as a flash.
"""

from __future__ import annotations

from typing import Any


class RuleError(ValueError):
    """A change a business rule refuses; ``field`` names the input at fault, or None."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(message)  # lazy: rendered only when shown
        self.message = message
        self.field = field


def show_on_form(form, error: RuleError, default_field: str | None = None) -> None:
    """Put the refusal next to its field, or among the form's own errors."""
    name = error.field or default_field
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
