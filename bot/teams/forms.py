"""A FormSpec as the Teams form card's view model.

Teams has no date-time picker and no typeahead in Adaptive Cards 1.5, so a `datetime`
field is shown as a date input and a time input in the office's time zone, and a
`person` is a text box (see payloads.py for how the answer is read back). This module
only prepares those shown values; the template does the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cards.forms import FormSpec
from cards.render import render


def date_key(field_id: str) -> str:
    return f"{field_id}__date"


def time_key(field_id: str) -> str:
    return f"{field_id}__time"


def group_key(field_id: str, index: int) -> str:
    return f"{field_id}__{index}"


def _split_epoch(value: Any, zone: ZoneInfo) -> tuple[str, str] | None:
    if isinstance(value, bool):
        return None
    try:
        when = datetime.fromtimestamp(int(value), UTC).astimezone(zone)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return when.date().isoformat(), when.strftime("%H:%M")


def form_model(
    spec: FormSpec,
    *,
    shown: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The template model: the spec, with what to show in each input and any errors.

    `shown` replaces the spec's initial values when a form comes back with errors, so the
    user sees exactly what they entered; for a datetime it may hold the raw date and time
    parts (`<id>__date`, `<id>__time`) rather than epoch seconds.
    """
    model = spec.model_dump(mode="json")
    values: dict[str, Any] = dict(spec.values if shown is None else shown)
    zone = ZoneInfo(spec.timezone)
    for field in spec.fields:
        if field.kind != "datetime" or date_key(field.id) in values:
            continue
        parts = _split_epoch(values.get(field.id), zone)
        if parts is not None:
            values[date_key(field.id)], values[time_key(field.id)] = parts
    model["values"] = values
    model["errors"] = dict(errors if errors is not None else spec.errors)
    return model


def render_form(
    spec: FormSpec,
    *,
    shown: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Adaptive Card for `spec`."""
    return render("teams", "form", form_model(spec, shown=shown, errors=errors))
