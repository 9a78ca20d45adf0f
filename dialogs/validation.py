"""Checking a submission against the form it claims to answer.

Every value is checked on the server: Slack and Teams validate in the client, but a
forged payload can carry anything, and it must change nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cards.forms import FieldSpec, FormSpec
from cards.text import UnsafeText, clean_input
from dialogs.errors import FieldErrors


def _empty(value: Any) -> bool:
    """Nothing given: no value, an empty list, or text that is only spaces."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == ()


def clean_value(spec: FieldSpec, raw: Any) -> Any:
    """Return the typed value, or raise ValueError with the message for the user."""
    kind = spec.kind
    if kind in ("text", "textarea"):
        if not isinstance(raw, str):
            raise ValueError("Enter text here.")
        # The boundary for text from people (cards/text.py): NFC, no controls, no
        # invisible disguises; UnsafeText is a ValueError, so it shows under the field.
        value = clean_input(raw).strip()
        if spec.max_length is not None and len(value) > spec.max_length:
            raise ValueError(
                f"Please keep this to {spec.max_length} characters (you wrote {len(value)})."
            )
        return value
    if kind == "number":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError("Enter a whole number.") from None
        if spec.min_value is not None and value < spec.min_value:
            raise ValueError(f"Enter a number of at least {spec.min_value}.")
        if spec.max_value is not None and value > spec.max_value:
            raise ValueError(f"Enter a number no larger than {spec.max_value}.")
        return value
    allowed = {c.value for c in spec.all_options()}
    if kind in ("select", "radio"):
        if not isinstance(raw, str) or raw not in allowed:
            raise ValueError("Choose one of the options given.")
        return raw
    if kind in ("multiselect", "checkboxes"):
        if isinstance(raw, str):
            raw = [v for v in raw.split(",") if v]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ValueError("Choose from the options given.")
        if any(v not in allowed for v in raw):
            raise ValueError("Choose only from the options given.")
        return list(dict.fromkeys(raw))
    if kind == "person":
        if not isinstance(raw, str) or not raw.startswith("p:") or not raw[2:].isdigit():
            raise ValueError("Choose a person from the search results.")
        return int(raw[2:])
    if kind == "datetime":
        if isinstance(raw, datetime):
            return raw.astimezone(UTC)
        try:
            return datetime.fromtimestamp(int(raw), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise ValueError("Enter a date and time.") from None
    if kind == "date":
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("Enter a date.") from None
    raise ValueError("This field cannot be answered.")


def validate(form: FormSpec, submitted: dict[str, Any]) -> dict[str, Any]:
    """Typed values for every field of `form`; raise FieldErrors naming each bad field.

    Values for fields the form does not have are refused, so an id invented by a
    client cannot slip into storage.
    """
    clean, errors = check(form, submitted)
    if errors:
        raise FieldErrors(errors)
    return clean


def check(form: FormSpec, submitted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Like validate, but returns the errors so a form's own rules can add to them.

    A field with an error is absent from the clean values.
    """
    known = {f.id for f in form.fields}
    unknown = sorted(set(submitted) - known)
    if unknown:
        first = next(f.id for f in form.fields if f.kind != "info")
        raise FieldErrors({first: "This form was changed outside safecontact; please reopen it."})
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        if spec.kind == "info":
            continue
        raw = submitted.get(spec.id)
        if spec.kind in ("text", "textarea") and isinstance(raw, str):
            try:  # first, so text of only invisible characters counts as no answer
                raw = clean_input(raw)
            except UnsafeText as exc:
                errors[spec.id] = str(exc)
                continue
        if _empty(raw):
            if spec.required:
                errors[spec.id] = "Please answer this question."
            else:
                clean[spec.id] = [] if spec.kind in ("multiselect", "checkboxes") else None
            continue
        try:
            clean[spec.id] = clean_value(spec, raw)
        except ValueError as exc:
            errors[spec.id] = str(exc)
    return clean, errors
