"""Delivering outbox messages to Slack DMs: post, update in place, or upload a letter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Outgoing, RetryLater, Undeliverable
from cards.letter_pdf import pdf
from cards.render import render
from cards.text import filename, slack_escape, slack_mrkdwn, slack_plain
from dialogs.letters import Enclosure
from storage.models import Letter, StaffMember

METADATA_EVENT = "safecontact_outbox"
RECOVERY_PAGE = 200
# Seconds of clock difference between us and Slack tolerated when searching history.
CLOCK_SKEW = 300


class SlackSender:
    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        enclosures: Callable[[str], list[Enclosure]] = lambda _kind: [],
    ) -> None:
        # This client has no retry handlers: waiting is the outbox's job, not the call's.
        self.client = client
        # What goes with a letter of a kind (Runtime.enclosures): uploaded beside its PDF.
        self.enclosures = enclosures
        self._dm: dict[str, str] = {}

    def can_reach(self, staff: StaffMember) -> bool:
        return bool(staff.slack_user_id)

    async def deliver(self, item: Outgoing) -> dict[str, Any] | None:
        try:
            return await self._deliver(item)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if status == 429 or error == "ratelimited":
                after = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                    "retry-after"
                )
                raise RetryLater("Slack rate limit", float(after) if after else None) from exc
            if status >= 500:
                raise RetryLater(f"Slack answered {status}") from exc
            raise Undeliverable(
                f"Slack refused it: {error or status}", plain=_plain(error)
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryLater(f"could not reach Slack: {exc!r}") from exc

    async def _deliver(self, item: Outgoing) -> dict[str, Any] | None:
        msg = item.message
        if msg.kind == "update":
            ref = (item.original_ref or {}).get("ref") or {}
            payload = render("slack", msg.template, msg.model, keep=False)
            await self.client.chat_update(
                channel=ref["channel"],
                ts=ref["ts"],
                text=payload["text"],
                blocks=payload["blocks"],
            )
            return ref
        channel = await self._dm_channel(item.recipient)
        if msg.kind == "file":
            return await self._upload(item, channel)
        if item.recovering:
            found = await self._already_posted(channel, msg.id, since=msg.created_at)
            if found is not None:
                return found
        payload = render("slack", msg.template, msg.model, keep=False)
        resp = await self.client.chat_postMessage(
            channel=channel,
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_id": msg.id}},
        )
        return {"channel": resp["channel"], "ts": resp["ts"]}

    async def _dm_channel(self, staff: StaffMember) -> str:
        user = staff.slack_user_id
        assert user is not None
        if user not in self._dm:
            resp = await self.client.conversations_open(users=user)
            self._dm[user] = resp["channel"]["id"]
        return self._dm[user]

    async def _already_posted(
        self, channel: str, outbox_id: int, *, since: datetime
    ) -> dict[str, Any] | None:
        """After a crash mid-send: find the post by the outbox id in its metadata.

        Everything the DM received since the message was written is searched, page by
        page, since other messages may have been posted after it.
        """
        oldest = f"{since.timestamp() - CLOCK_SKEW:.6f}"
        cursor: str | None = None
        while True:
            resp = await self.client.conversations_history(
                channel=channel,
                oldest=oldest,
                limit=RECOVERY_PAGE,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in resp.get("messages", []):
                meta = message.get("metadata") or {}
                if (
                    meta.get("event_type") == METADATA_EVENT
                    and (meta.get("event_payload") or {}).get("outbox_id") == outbox_id
                ):
                    return {"channel": channel, "ts": message["ts"]}
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not resp.get("has_more") or not cursor:
                return None

    async def _upload(self, item: Outgoing, channel: str) -> dict[str, Any] | None:
        if item.message.attachment_id is not None:
            return await self._upload_attachment(item, channel)
        letter = item.letter
        if letter is None:
            raise Undeliverable("the letter to upload is missing")
        model = item.message.model
        # The PDF of the kept letter, what is printed and sent (cards/letter_pdf.py);
        # WeasyPrint takes a second or so, so it runs off the event loop.
        content = await asyncio.to_thread(pdf, letter.html)
        files = [
            {
                "content": content,
                "filename": pdf_name(model.get("filename") or "", letter.id),
                "title": slack_plain(letter.subject),
            }
        ]
        # s7: what the letter says is enclosed goes up with it, one message, to print too.
        enclosed = self.enclosures(str(letter.kind))
        for enc in enclosed:
            try:
                body = await asyncio.to_thread(enc.path.read_bytes)
            except OSError as exc:
                raise Undeliverable(
                    f"the enclosure {enc.path} could not be read: {exc.strerror}",
                    plain="The policy document to enclose could not be read on the server "
                    "(an administrator must check organisation.policy_document_file).",
                ) from exc
            files.append(
                {
                    "content": body,
                    "filename": enc.file_name,
                    "title": slack_plain(f"{enc.label}: {enc.title}"),
                }
            )
        resp = await self.client.files_upload_v2(
            channel=channel,
            file_uploads=files,
            initial_comment=letter_summary(model, letter, enclosed),
        )
        uploaded = resp.get("files") or []
        return {"channel": channel, "file": uploaded[0].get("id") if uploaded else None}

    async def _upload_attachment(self, item: Outgoing, channel: str) -> dict[str, Any] | None:
        """A file that is not a letter (the oversight report's chart or CSV), as stored."""
        attachment = item.attachment
        if attachment is None:
            raise Undeliverable("the file to upload is missing")
        model = item.message.model
        resp = await self.client.files_upload_v2(
            channel=channel,
            content=attachment.content,
            filename=filename(attachment.filename),
            title=slack_plain(model.get("title", attachment.filename)),
            initial_comment=slack_escape(model.get("comment", "")),
        )
        file = resp.get("file") or {}
        return {"channel": channel, "file": file.get("id")}


# How much of the letter's opening the upload's comment quotes.
SUMMARY_CHARS = 400


def pdf_name(name: str, letter_id: int) -> str:
    """The upload's file name: the kept name with .pdf, safe to show (cards/text.py)."""
    stem = filename(name, f"letter-{letter_id}").removesuffix(".html").removesuffix(".txt")
    return f"{stem}.pdf"


def opening(text: str) -> str:
    """The letter's first paragraph after "Dear …": what it is about, in its own words."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    after = [i for i, p in enumerate(paragraphs) if p.startswith("Dear ")]
    start = after[0] + 1 if after else 0
    body = paragraphs[start] if start < len(paragraphs) else ""
    return body if len(body) <= SUMMARY_CHARS else body[: SUMMARY_CHARS - 1].rstrip() + "…"


def letter_summary(
    model: dict[str, Any], letter: Letter, enclosed: Sequence[Enclosure] = ()
) -> str:
    """The comment the PDF is posted with: whose letter, what it is, what to do with it,
    and how it opens. Slack reads it as mrkdwn outside any block, so every value from the
    record is escaped and isolated here (`<!channel>`, `<url|label>` show literally)."""
    reference = model.get("reference") or ""
    lines = [f"*Letter for {slack_mrkdwn(reference)}: {slack_mrkdwn(letter.subject)}*"]
    if model.get("comment"):
        lines.append(slack_mrkdwn(model["comment"]))
    start = opening(letter.text)
    if start:
        lines.append(f"> {slack_mrkdwn(start)}")
    lines.append("The PDF attached is the letter as kept in the case file.")
    for enc in enclosed:
        lines.append(
            f"Send it with what it says is enclosed: *{slack_mrkdwn(enc.title)}* "
            f"(attached too, as {slack_mrkdwn(enc.file_name)})."
        )
    return "\n".join(lines)


# Slack's refusals, as the person who caused the message can understand them.
_GONE = "Slack says their account is deactivated."
_UNKNOWN = "Slack could not open a chat with them."
_OURS = "safecontact's connection to Slack is not working (an administrator must fix it)."
REFUSALS = {
    "account_inactive": _GONE,
    "user_disabled": _GONE,
    "user_not_found": _UNKNOWN,
    "users_not_found": _UNKNOWN,
    "channel_not_found": _UNKNOWN,
    "cannot_dm_bot": _UNKNOWN,
    "is_archived": _UNKNOWN,
    "invalid_auth": _OURS,
    "not_authed": _OURS,
    "token_revoked": _OURS,
    "missing_scope": _OURS,
}


def _plain(error: str | None) -> str:
    return REFUSALS.get(error or "", "Slack refused it.")
