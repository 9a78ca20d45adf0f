"""Per-turn plumbing shared by the Teams handlers: who is asking, and how to answer.

One place turns typed refusals into something the user reads, and unexpected errors into
a reference the admin can find in the log; the same wording as on Slack.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity, ActivityTypes, Attachment

from cards.render import render
from dialogs.errors import BadRequest

log = logging.getLogger("bot.teams")

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
ERROR = "application/vnd.microsoft.error"


def teams_user_id(activity: Activity) -> str:
    """The sender's Entra object id: how the staff directory knows them on Teams."""
    sender = activity.from_property
    aad = getattr(sender, "aad_object_id", None)
    if not isinstance(aad, str) or not aad or len(aad) > 100:
        raise BadRequest("This message does not say who sent it.")
    return aad


# -- what goes back --------------------------------------------------------------------


def card_activity(card: dict[str, Any]) -> Activity:
    """A message carrying one Adaptive Card; its fallback text is the notification preview."""
    return Activity(
        type=ActivityTypes.message,
        summary=card.get("fallbackText"),
        attachments=[Attachment(content_type=CARD, content=card)],
    )


# dialogs/ write a case reference in Slack's bold (*SC-2026-00042*); Teams would show the
# asterisks, since a notice's text is escaped, so they are dropped here.
_SLACK_BOLD_REFERENCE = re.compile(r"\*([A-Z]{2}-\d{4}-\d{3,})\*")


def notice_card(text: str, title: str = "") -> dict[str, Any]:
    text = _SLACK_BOLD_REFERENCE.sub(r"\1", text)
    return render("teams", "notice", {"text": text, "title": title})


def card_response(card: dict[str, Any]) -> InvokeResponse:
    """Universal Actions: replace the card the user acted on with `card`."""
    return InvokeResponse(
        status=int(HTTPStatus.OK), body={"statusCode": 200, "type": CARD, "value": card}
    )


def message_response(text: str) -> InvokeResponse:
    """Universal Actions: leave the card as it is and show the user `text`."""
    return InvokeResponse(
        status=int(HTTPStatus.OK), body={"statusCode": 200, "type": MESSAGE, "value": text}
    )


def error_response(status: HTTPStatus, message: str) -> InvokeResponse:
    """A refused invoke (malformed, unknown action): 4xx with the reason, never a 5xx."""
    body = {
        "statusCode": int(status),
        "type": ERROR,
        "value": {"code": status.phrase.replace(" ", ""), "message": message},
    }
    return InvokeResponse(status=int(status), body=body)
