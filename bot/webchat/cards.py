"""The one translation this channel makes: Action.Execute as Web Chat can click it.

safecontact's Teams cards use Universal Actions (Action.Execute): Teams turns a click
into an `adaptiveCard/action` invoke and replaces the card with the bot's answer. Web
Chat 4.18 renders Action.Execute buttons but does nothing when one is clicked (its
renderer handles only Action.OpenUrl and Action.Submit; microsoft/BotFramework-WebChat
issue 3844). So on the way to the browser each Action.Execute becomes an Action.Submit
whose data carries the verb and the id of the card it is on; Web Chat posts that as a
hidden postBack message with the card's inputs merged in, exactly as Teams merges them
into an Action.Execute's data, and directline.py turns it back into the invoke Teams
would have sent. The bot sees no difference.

Cards also get `speak` (their fallback text) when they have none: Web Chat labels a card
for screen readers from it (aria-label, and role "form" or "figure").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from dialogs.errors import BadRequest

CARD = "application/vnd.microsoft.card.adaptive"
# The key in an Action.Submit's data that says which Action.Execute it stands for.
MARKER = "safecontact.webchat"
# Action.Execute properties an Action.Submit understands too.
_KEPT = ("id", "title", "style", "iconUrl", "isEnabled", "tooltip", "mode", "associatedInputs")
MAX_VERB = 100


def _submit_for(action: dict[str, Any], card_id: str) -> dict[str, Any]:
    data = action.get("data")
    submitted = dict(data) if isinstance(data, dict) else {}
    submitted[MARKER] = {"verb": action.get("verb", ""), "card": card_id}
    out = {k: action[k] for k in _KEPT if k in action}
    out.update(type="Action.Submit", data=submitted)
    return out


def _rewrite(node: Any, card_id: str) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, card_id) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "Action.Execute":
        return _submit_for(node, card_id)
    return {key: _rewrite(value, card_id) for key, value in node.items()}


def for_webchat(card: dict[str, Any], card_id: str) -> dict[str, Any]:
    """A copy of `card` that Web Chat can act on; `card_id` is the activity carrying it."""
    out = _rewrite(copy.deepcopy(card), card_id)
    if not out.get("speak") and isinstance(out.get("fallbackText"), str):
        out["speak"] = out["fallbackText"]
    return out


def attachments_for_webchat(activity: dict[str, Any], card_id: str) -> list[dict[str, Any]]:
    """The activity's attachments with every Adaptive Card translated."""
    out = []
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType") == CARD:
            content = attachment.get("content")
            if isinstance(content, dict):
                attachment = {**attachment, "content": for_webchat(content, card_id)}
        out.append(attachment)
    return out


@dataclass(frozen=True)
class Click:
    """An Action.Execute click, read back from Web Chat's postBack."""

    card_id: str
    verb: str
    data: dict[str, Any]


def click_from(value: Any) -> Click | None:
    """The click a postBack value stands for; None when it is not one of ours."""
    if not isinstance(value, dict) or MARKER not in value:
        return None
    data = dict(value)
    marker = data.pop(MARKER)
    if not isinstance(marker, dict):
        raise BadRequest("This card action is malformed.")
    verb, card_id = marker.get("verb"), marker.get("card")
    if not isinstance(verb, str) or not verb or len(verb) > MAX_VERB:
        raise BadRequest("This card action has no verb.")
    if not isinstance(card_id, str) or not card_id or len(card_id) > 200:
        raise BadRequest("This card action does not say which card it came from.")
    return Click(card_id=card_id, verb=verb, data=data)


def invoke_value(click: Click) -> dict[str, Any]:
    """The `value` of the adaptiveCard/action invoke Teams sends for this click."""
    return {
        "action": {"type": "Action.Execute", "verb": click.verb, "data": click.data},
        "trigger": "manual",
    }
