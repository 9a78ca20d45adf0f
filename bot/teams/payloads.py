"""Teams payloads in, neutral values out: the only place that knows Adaptive Card data shapes.

An Action.Execute sends the card's inputs merged into the action's `data`, every value a
string. This module turns that back into {field id: value} as dialogs/ validates it:
a date and a time become epoch seconds in the office's time zone, the per-group
checklists of a grouped multi-select become one list, comma-separated multi-selects are
split. Anything that does not look like what our own cards produce raises BadRequest,
so a forged or malformed payload is refused with a message rather than a stack trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.schema import Activity

from bot.teams.forms import date_key, group_key, time_key
from cards.forms import FieldSpec, FormSpec
from dialogs.errors import BadRequest, FieldErrors
from dialogs.interactions import Click

CONTEXT_KEY = "_context"
CHANGED = "This form was changed outside safecontact; please reopen it."
MAX_VERB = 100
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


# -- the envelope --------------------------------------------------------------------


def _has_id(value: Any, *, limit: int = 500) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and 0 < len(value["id"]) <= limit
    )


# Fields the Bot Framework always sends as strings, when it sends them at all.
_STRINGS = ("id", "channelId", "name", "replyToId", "locale", "textFormat", "action")


def activity_from(body: Any) -> Activity:
    """The Activity in a request body; BadRequest names what is wrong with it."""
    if not isinstance(body, dict):
        raise BadRequest("The request body is not an activity.")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > 50:
        raise BadRequest("The activity has no type.")
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not re.match(r"^https?://[^\s]{1,490}$", service_url):
        raise BadRequest("The activity has no valid serviceUrl.")
    for key in ("from", "recipient", "conversation"):
        if not _has_id(body.get(key)):
            raise BadRequest(f"The activity's '{key}' is missing or malformed.")
    if "text" in body and body["text"] is not None and not isinstance(body["text"], str):
        raise BadRequest("The activity's text is not text.")
    for key in _STRINGS:  # the SDK puts these in URLs and headers as they come
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"The activity's '{key}' is malformed.")
    try:
        return Activity().deserialize(body)
    except Exception:  # msrest raises several types, all meaning "not an activity"
        raise BadRequest("The activity is malformed.") from None


def command_text(activity: Activity) -> str:
    """The words a person typed, without an @mention of the bot or surrounding markup."""
    text = activity.text if isinstance(activity.text, str) else ""
    text = _MENTION.sub(" ", text).replace("\u00a0", " ")
    return " ".join(text.split())


# -- Action.Execute ------------------------------------------------------------------


@dataclass(frozen=True)
class Execute:
    """An Action.Execute: its verb and its data (the card's inputs merged in)."""

    verb: str
    data: dict[str, Any]


def execute_from(value: Any) -> Execute:
    """The action of an adaptiveCard/action invoke; BadRequest if it is anything else."""
    if not isinstance(value, dict) or not isinstance(value.get("action"), dict):
        raise BadRequest("This card action is malformed.")
    action = value["action"]
    if action.get("type") != "Action.Execute":
        raise BadRequest("Only Action.Execute is supported on safecontact's cards.")
    verb = action.get("verb")
    if not isinstance(verb, str) or not verb or len(verb) > MAX_VERB:
        raise BadRequest("This card action has no verb.")
    data = action.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadRequest("This card action's data is malformed.")
    return Execute(verb, dict(data))


def int_value(raw: Any) -> int:
    """An id a button carries; anything else is a forged or stale click."""
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 10**11:
        return raw
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 12:
        return int(raw)
    raise BadRequest("This button's details are malformed.")


def click(data: dict[str, Any], key: str, checklist: str) -> Click:
    """What a button names (the id under `key` in its data) and the checklist's options
    switched on (toggles named "<checklist>__<option>")."""
    chosen = []
    prefix = f"{checklist}__"
    for name, value in data.items() if checklist else ():
        if not name.startswith(prefix):
            continue
        if value not in ("true", "false", True, False):
            raise BadRequest("The checklist in this request is malformed.")
        if value in ("true", True):
            chosen.append(name.removeprefix(prefix))
    return Click(int_value(data.get(key)) if key else 0, tuple(chosen))


# -- forms ---------------------------------------------------------------------------


@dataclass
class Submission:
    """A submitted form: values for dialogs/, what to show again, and the form's context.

    `people` holds the text typed into each person field, which the caller resolves to
    "p:<id>" (it needs the database); `shown` is what the user entered, to refill the form.
    """

    values: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)


def _split(raw: Any) -> Any:
    """A multi-select's comma-separated string as a list; anything else is left to validation."""
    if isinstance(raw, str):
        return [v.strip() for v in raw.split(",") if v.strip()]
    return raw


def epoch_from(day: Any, clock: Any, zone: ZoneInfo) -> int | str | None:
    """Epoch seconds of a local date and time; None if both are empty.

    A half-filled or malformed pair comes back as a string, which validation refuses with
    "Enter a date and time."
    """
    if not day and not clock:
        return None
    try:
        local = datetime.combine(date.fromisoformat(str(day)), time.fromisoformat(str(clock)))
    except ValueError:
        return f"{day} {clock}".strip()
    return int(local.replace(tzinfo=zone).timestamp())


def _take(spec: FieldSpec, data: dict[str, Any], sub: Submission, zone: ZoneInfo) -> None:
    fid = spec.id
    if spec.kind == "datetime":
        day, clock = data.pop(date_key(fid), None), data.pop(time_key(fid), None)
        sub.shown[date_key(fid)], sub.shown[time_key(fid)] = day, clock
        value = epoch_from(day, clock, zone)
        if value is not None:
            sub.values[fid] = value
        return
    if spec.kind in ("multiselect", "checkboxes") and spec.groups:
        chosen: list[Any] = []
        for i in range(len(spec.groups)):
            part = _split(data.pop(group_key(fid, i), None) or [])
            if not isinstance(part, list):
                chosen.append(part)  # not a string: validation refuses it
            else:
                chosen.extend(part)
        sub.values[fid] = sub.shown[fid] = chosen
        return
    if fid not in data:
        return
    raw = data.pop(fid)
    if spec.kind == "person":
        if not isinstance(raw, str):
            raise BadRequest("The person field in this request is malformed.")
        sub.shown[fid] = raw
        sub.people[fid] = raw.strip()
        return
    if spec.kind in ("multiselect", "checkboxes"):
        raw = _split(raw)
    sub.values[fid] = sub.shown[fid] = raw


def form_submission(spec: FormSpec, data: dict[str, Any]) -> Submission:
    """{field id: value} from an Action.Execute's data for the form `spec`.

    Keys no input of the form produces are passed on, so validation refuses the form as
    changed outside safecontact, exactly as a forged Slack view is refused.
    """
    data = dict(data)
    context = data.pop(CONTEXT_KEY, None)
    if context is not None and not isinstance(context, dict):
        raise BadRequest("This form's hidden details are malformed; please reopen it.")
    sub = Submission(context=context or {})
    zone = ZoneInfo(spec.timezone)
    for spec_field in spec.fields:
        if spec_field.kind != "info":
            _take(spec_field, data, sub, zone)
    if data:
        if set(data) & set(sub.values) or set(data) & set(sub.people):
            first = next(f.id for f in spec.fields if f.kind != "info")
            raise FieldErrors({first: CHANGED})
        sub.values.update(data)
    return sub
