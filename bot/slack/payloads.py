"""Slack payloads in, neutral values out: the only place that knows Block Kit state shapes.

Anything that does not look like what our own views produce raises BadRequest, so a
forged or malformed payload is refused with a message rather than a stack trace.
"""

from __future__ import annotations

import json
from typing import Any

from dialogs.errors import BadRequest
from dialogs.interactions import Click


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"The {what} in this request is malformed.")
    return value


def _option_value(option: Any) -> Any:
    return option.get("value") if isinstance(option, dict) else None


def element_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("plain_text_input", "number_input"):
        return element.get("value")
    if kind in ("static_select", "external_select", "radio_buttons"):
        return _option_value(element.get("selected_option"))
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        options = element.get("selected_options") or []
        if not isinstance(options, list):
            raise BadRequest("The selected options in this request are malformed.")
        return [_option_value(o) for o in options]
    if kind == "datetimepicker":
        return element.get("selected_date_time")
    if kind == "datepicker":
        return element.get("selected_date")
    raise BadRequest("This request carries an input that no safecontact form has.")


def form_values(view: Any) -> dict[str, Any]:
    """{field id: raw value} from a submitted view's state."""
    state = _dict(_dict(view, "view").get("state"), "form state")
    values = _dict(state.get("values"), "form values")
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        actions = _dict(actions, "form values")
        for element in actions.values():
            out[str(block_id)] = element_value(_dict(element, "form values"))
    return out


def metadata(view: Any) -> dict[str, Any]:
    raw = _dict(view, "view").get("private_metadata") or "{}"
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        raise BadRequest("This form's hidden details are malformed; please reopen it.") from None
    return _dict(data, "form details")


def int_value(raw: Any) -> int:
    """An id a button carries; anything else is a forged or stale click."""
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 12:
        return int(raw)
    raise BadRequest("This button's details are malformed.")


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The action a block_actions payload carries; BadRequest if it carries none."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    raise BadRequest("This request carries no action.")


def click(action: dict[str, Any], key: str) -> Click:
    """What a button or checklist names: the id in its value (a checklist: its block's),
    and the options ticked. A button that names nothing (`key` empty) carries no id."""
    chosen: tuple[str, ...] = ()
    if "selected_options" in action:
        picked = element_value(action) or []
        chosen = tuple(v for v in picked if isinstance(v, str))
        raw: Any = str(action.get("block_id") or "").rpartition(":")[2]
    else:
        raw = action.get("value")
    return Click(int_value(raw) if key else 0, chosen)
