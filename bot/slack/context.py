"""How the Slack listeners answer: notices, modals, and refusals on the surface used.

One place turns typed refusals into something the user reads on the surface they used,
and unexpected errors into a reference the admin can find in the log.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bot.context import message_for
from cards.forms import FormSpec
from cards.render import payload_of, render, render_text
from cards.text import slack_plain
from dialogs.errors import FieldErrors
from dialogs.interactions import Card
from storage.db import DatabaseUnavailable


def notice(text: str) -> dict[str, Any]:
    return render("slack", "notice", {"text": text})


def card(shown: Card) -> dict[str, Any]:
    return render("slack", shown.template, shown.model)


def form_view(spec: FormSpec) -> dict[str, Any]:
    """The modal for a form. The same form object (the incident form is one a minute,
    dialogs/incident/form.py) is rendered once: dumping and keying a form of 16
    questions cost more than the rest of opening it (docs/performance.md)."""
    kept = _VIEWS.get(id(spec))
    if kept is None or kept[0] is not spec:
        kept = (spec, render_text("slack", "form", spec.model_dump(mode="json")))
        _VIEWS[id(spec)] = kept
        while len(_VIEWS) > VIEWS_KEPT:
            _VIEWS.popitem(last=False)
    return payload_of("slack", "form", kept[1])


# The last forms rendered, by the identity of the form (held, so the id stays theirs).
_VIEWS: OrderedDict[int, tuple[FormSpec, str]] = OrderedDict()
VIEWS_KEPT = 16


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that replaces a form (or opens from the App Home) to say what happened."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": slack_plain(title)[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": notice(text)["blocks"],
    }


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input":
            return block.get("block_id")
    return None


async def ack_refusal(ack: Any, view: dict[str, Any], exc: BaseException) -> None:
    """Answer a form submission that changed nothing, on the form itself.

    Field errors go under their fields; a passing database fault keeps the form open
    with the answers in it; any other refusal replaces the form with the reason.
    """
    first = _first_input(view)
    if isinstance(exc, FieldErrors):
        known = {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict)}
        errors = {k: v for k, v in exc.errors.items() if k in known}
        if not errors and first:
            errors = {first: exc.message}
        await ack(response_action="errors", errors=errors)
    elif isinstance(exc, DatabaseUnavailable) and first:
        await ack(response_action="errors", errors={first: message_for(exc)})
    else:
        # A refusal must not sit under a success title such as "Report saved".
        await ack(response_action="update", view=notice_view("Not done", message_for(exc)))
