"""Delivering outbox messages to Teams: proactive cards, updates in place, and letters.

Everything the bot says on its own goes through `continue_conversation` on the stored
conversation reference. The connector client is told not to retry: waiting is the
outbox's job, so a 429 or 5xx becomes RetryLater (honouring Retry-After) and the
message is sent exactly once when the connector accepts it.

Letters: a bot can upload a file into a personal chat only through the file consent
flow (a FileConsentCard the user must accept, then an upload to their OneDrive), which
would leave the outbox waiting on a click and put another copy of a member of the
public's letter in someone's OneDrive, outside the case file's retention. So a letter
arrives as a card carrying its text as paragraphs, escaped, to read, with a "Download
the letter (PDF)" button: a signed link that expires, served by this server from the
kept letter (bot/letter_links.py). A data: URI link is not used: Teams blocks them, and
they would leak the letter into logs and link previews.

Unlike Slack, the Bot Connector has no history to search, so a message whose lease ran
out mid-send (a crash between the connector's answer and the outbox commit) may be sent
a second time; that window is a single request long.
"""

from __future__ import annotations

import logging
from base64 import b64encode
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    ResourceResponse,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.delivery import Outgoing, RetryLater, Undeliverable
from bot.letter_links import LetterLinks
from bot.teams.context import card_activity
from bot.teams.refs import ReferenceStore
from cards.render import has_template, render
from storage.models import StaffMember

log = logging.getLogger(__name__)

# Teams answers 403 when the person has blocked the bot (or it was removed for them).
BLOCKED = "Teams refused it, which it does when someone has blocked or removed safecontact."

CONNECTOR_TIMEOUT = 10
# A Teams message may be about 28 KB; the letter's text stays well inside it.
MAX_LETTER_CHARS = 12000
# Teams' limit for an inline image.
MAX_INLINE_IMAGE = 1024 * 1024


def letter_paragraphs(text: str, limit: int = MAX_LETTER_CHARS) -> tuple[list[list[str]], bool]:
    """The letter's text as paragraphs of lines, and whether it had to be cut short.

    The card shows each paragraph as one TextBlock (cards/templates/teams/letter_file):
    its lines (an address, a list of restrictions) escaped one by one and kept apart by
    a blank line, which is how a TextBlock's markdown breaks a line.
    """
    truncated = len(text) > limit
    paragraphs = []
    for block in text[:limit].split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            paragraphs.append(lines)
    return paragraphs, truncated


def _status(exc: HttpOperationError) -> tuple[int, str | None]:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", None) or {}
    return status, headers.get("Retry-After") or headers.get("retry-after")


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class TeamsSender:
    platform = "teams"

    def __init__(
        self,
        adapter: BotAdapter,
        refs: ReferenceStore,
        *,
        app_id: str | None,
        timeout: float = CONNECTOR_TIMEOUT,
        links: LetterLinks | None = None,
    ) -> None:
        self.adapter = adapter
        # The letters' download links; without them (a test's bare sender) the card says
        # the letter is in the case file and offers no button.
        self.links = links
        self.refs = refs
        self.app_id = app_id
        # Seconds a call to the Bot Connector may take (teams_timeout_seconds).
        self.timeout = timeout

    def can_reach(self, staff: StaffMember) -> bool:
        """A Teams id and a stored conversation reference (confirmed in `deliver`)."""
        return bool(staff.teams_user_id) and self.refs.may_reach(staff.teams_user_id or "")

    async def deliver(self, item: Outgoing) -> dict[str, Any] | None:
        try:
            return await self._deliver(item)
        except HttpOperationError as exc:
            status, after = _status(exc)
            if status == 429:
                raise RetryLater("Teams rate limit", _seconds(after)) from exc
            if status >= 500 or status == 0:
                raise RetryLater(f"the Bot Connector answered {status}", _seconds(after)) from exc
            plain = BLOCKED if status == 403 else "Teams refused it."
            raise Undeliverable(f"Teams refused it: {status} {exc.message}", plain=plain) from exc
        except (ClientRequestError, ConnectionError, TimeoutError) as exc:
            raise RetryLater(f"could not reach the Bot Connector: {exc!r}") from exc

    async def _deliver(self, item: Outgoing) -> dict[str, Any] | None:
        msg = item.message
        template = "letter_file" if msg.kind == "file" else msg.template
        if msg.kind == "file" and item.attachment is not None:
            template = "notice"
        if not has_template("teams", template):
            # A message kind built for Slack only so far: say so at once, don't retry it.
            raise Undeliverable(f"safecontact has no Teams card for '{template}' yet")
        if msg.kind == "update":
            return await self._update(item)
        user = item.recipient.teams_user_id or ""
        reference = await self.refs.lookup(user)
        if reference is None:
            # can_reach guessed; the database says no. Next pass reports them unreachable.
            raise RetryLater("they have not opened safecontact in Teams yet", 0)
        if msg.kind == "file" and item.attachment is not None:
            activity = self._attachment_activity(item)
        elif msg.kind == "file":
            activity = card_activity(render("teams", "letter_file", self._letter_model(item)))
        else:
            activity = card_activity(render("teams", msg.template, msg.model, keep=False))
        sent = await self._send(reference, activity)
        return {
            "conversation_id": reference.conversation.id,
            "activity_id": sent.id if sent is not None else None,
            "service_url": reference.service_url,
        }

    def _attachment_activity(self, item: Outgoing) -> Activity:
        """A report file: an image goes inline; anything else points to the CLI.

        Teams shows a base64 image inline (up to 1024 px and 1 MB, not counted against the
        message size); other files would need the file consent flow (see above), so the
        message says where the same figures are instead.
        """
        att = item.attachment
        assert att is not None
        title = str(item.message.model.get("title") or att.filename)
        if att.mime_type.startswith("image/") and len(att.content) <= MAX_INLINE_IMAGE:
            url = f"data:{att.mime_type};base64,{b64encode(att.content).decode()}"
            return Activity(
                type=ActivityTypes.message,
                text=title,
                attachments=[
                    Attachment(content_type=att.mime_type, content_url=url, name=att.filename)
                ],
            )
        month = item.message.model.get("month", "YYYY-MM")
        text = (
            f"{title}: the figures are on the report card above. The file "
            f"{att.filename} can be produced on the server with "
            f"`safecontact report --month {month} --out DIR`."
        )
        return card_activity(render("teams", "notice", {"text": text}))

    def _letter_model(self, item: Outgoing) -> dict[str, Any]:
        letter = item.letter
        if letter is None:
            raise Undeliverable("the letter to send is missing")
        paragraphs, truncated = letter_paragraphs(letter.text)
        download = large = None
        enclosed: list[dict[str, str]] = []
        if self.links is not None:
            download = self.links.url(letter.id)
            large = self.links.url(letter.id, large=True)
            enclosed = [
                {"title": enc.title, "label": enc.label, "url": url}
                for enc, url in self.links.enclosure_links(letter.id, str(letter.kind))
            ]
        return {
            "reference": item.message.model.get("reference", ""),
            "comment": item.message.model.get("comment", ""),
            "subject": letter.subject,
            "paragraphs": paragraphs,
            "truncated": truncated,
            "download_url": download,
            "large_print_url": large,
            # s7: what the letter says is enclosed, to print into the envelope.
            "enclosures": enclosed,
            "link_days": self.links.lifetime.days if self.links is not None else 0,
        }

    async def _update(self, item: Outgoing) -> dict[str, Any] | None:
        posted = (item.original_ref or {}).get("ref") or {}
        if not posted.get("conversation_id") or not posted.get("activity_id"):
            raise Undeliverable("the card to update has no Teams activity id")
        user = item.recipient.teams_user_id
        stored = await self.refs.lookup(user) if user else None
        reference = stored or ConversationReference(
            channel_id="msteams", bot=ChannelAccount(id=self.app_id or "")
        )
        reference.conversation = ConversationAccount(id=posted["conversation_id"])
        reference.service_url = posted.get("service_url") or reference.service_url
        card = render("teams", item.message.template, item.message.model, keep=False)
        activity = card_activity(card)
        activity.id = posted["activity_id"]

        async def update(turn: TurnContext) -> None:
            self._harden(turn)
            await turn.update_activity(activity)

        await self.adapter.continue_conversation(reference, update, self.app_id)
        return posted

    async def _send(self, reference: ConversationReference, activity: Activity) -> ResourceResponse:
        sent: list[ResourceResponse] = []

        async def send(turn: TurnContext) -> None:
            self._harden(turn)
            turn.on_send_activities(_proactive)
            response = await turn.send_activity(activity)
            if response is not None:
                sent.append(response)

        await self.adapter.continue_conversation(reference, send, self.app_id)
        if not sent or not sent[0].id:
            log.warning("the Bot Connector returned no activity id; the card can't be updated")
        return sent[0] if sent else ResourceResponse()

    def _harden(self, turn: TurnContext) -> None:
        """No retries inside the connector client (the outbox retries) and a short timeout."""
        client = turn.turn_state.get(self.adapter.BOT_CONNECTOR_CLIENT_KEY)
        config = getattr(client, "config", None)
        if config is not None:
            config.retry_policy.retries = 0
            config.connection.timeout = self.timeout


async def _proactive(turn: TurnContext, activities: list[Activity], next_send: Any) -> Any:
    """A proactive message is a new post (POST .../activities), not a reply to the
    continuation event's made-up id, which the SDK would otherwise set as replyToId."""
    for activity in activities:
        if activity.type == ActivityTypes.message:
            activity.reply_to_id = None
    return await next_send()
