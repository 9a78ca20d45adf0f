"""Slack, dispatched from the one registry of forms, buttons and commands (dialogs/).

One middleware gives every request its `Turns` (who is asking, resolved when needed;
bot/slack/app.dispatch sets a view submission's write deadline before bolt runs, for
HTTP and Socket Mode alike); one listener per kind of
payload looks the interaction up, checks who may use it, runs it and shows the answer
on the surface it came from. Nothing here knows what any particular form asks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import Turns, message_for
from bot.interactions_once import once, slack_key
from bot.runtime import Runtime
from bot.slack import payloads
from bot.slack.context import ack_refusal, card, form_view, notice, notice_view
from cards.forms import FormSpec
from cards.text import slack_plain
from dialogs.errors import DomainError, NotInDirectory, Replayed
from dialogs.interactions import Answer, Reply, Turn
from dialogs.registry import registry

log = logging.getLogger(__name__)

TURNS = "safecontact_turns"


def register(app: AsyncApp, runtime: Runtime) -> None:
    reg = registry()

    async def turns(context: Any, next_: Any) -> None:
        context[TURNS] = Turns(runtime, "slack", context.user_id)
        await next_()

    app.use(turns)

    async def on_submission(ack: Any, body: dict[str, Any], context: Any) -> None:
        """Validate and store before acking: errors go under their fields, nothing is lost."""
        view = body.get("view") or {}
        form = reg.forms[view.get("callback_id")]
        async with once(runtime.db, slack_key(body)) as seen:
            if seen.repeat:  # the first answer again, or that it was done
                await ack(**(seen.first or {"response_action": "update", "view": _done(form)}))
                return
            try:
                turn: Turn = await context[TURNS]()
                form.who.check(turn.actor)
                values, details = payloads.form_values(view), payloads.metadata(view)
                answer = await form.submit(turn, values, details)
            except Exception as exc:
                await ack_refusal(ack, view, exc)
                return
            if isinstance(answer, FormSpec):  # the flow goes on: the next form replaces this
                shown = {"response_action": "update", "view": form_view(answer)}
            else:
                text = answer.text if isinstance(answer, Reply) else answer
                shown = {"response_action": "update", "view": notice_view(form.done, text)}
            seen.keep(shown)
            await ack(**shown)

    async def on_button(
        ack: Any, body: dict[str, Any], context: Any, client: Any, respond: Any
    ) -> None:
        await ack()
        async with once(runtime.db, slack_key(body)) as seen:
            if seen.repeat:
                await _again(body, client, respond, seen.first)
                return
            shown = _Shown(respond)
            try:
                action = payloads.first_action(body)
                button = reg.buttons[action.get("action_id")]
                turn: Turn = await context[TURNS]()
                button.who.check(turn.actor)
                answer = await button.run(turn, payloads.click(action, button.key))
                await _show(body, client, shown, turn, answer, replace=True)
            except Exception as exc:
                await _refuse(body, client, respond, exc)
            seen.keep({"respond": shown.sent})

    async def on_command(
        ack: Any, body: dict[str, Any], context: Any, client: Any, respond: Any
    ) -> None:
        await ack()
        command = reg.commands[str(body.get("command", "")).removeprefix("/")]
        async with once(runtime.db, slack_key(body) if command.writes else None) as seen:
            if seen.repeat:
                await _again(body, client, respond, seen.first)
                return
            shown = _Shown(respond)
            try:
                turn: Turn = await context[TURNS]()
                command.who.check(turn.actor)
                answer = await command.answer(turn, str(body.get("text") or ""))
                await _show(body, client, shown, turn, answer, replace=False)
            except Exception as exc:
                await _refuse(body, client, respond, exc)
            seen.keep({"respond": shown.sent})

    async def on_options(ack: Any, body: dict[str, Any], context: Any) -> None:
        lookup = reg.lookups[body.get("action_id") or body.get("block_id")]
        try:
            turn: Turn = await context[TURNS]()
            choices = await lookup.answer(turn, str(body.get("value") or ""))
        except Exception as exc:
            if not isinstance(exc, DomainError):
                message_for(exc)  # logged with a reference
            await ack(options=[])
            return
        await ack(
            options=[
                {"text": {"type": "plain_text", "text": slack_plain(c.label)}, "value": c.value}
                for c in choices
            ]
        )

    async def home_opened(event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            turn: Turn = await context[TURNS]()
        except NotInDirectory as exc:
            await app.client.views_publish(
                user_id=event.get("user"),
                view={"type": "home", "blocks": notice(exc.message)["blocks"]},
            )
            return
        await publish_home(app.client, turn)

    # One listener for each kind of payload, matching every name the registry declares:
    # bolt tries its listeners one by one, each through its argument injection, and
    # one a name made that cost more than the form's own work (docs/performance.md).
    app.view(exactly(reg.forms))(on_submission)
    app.action(exactly(reg.buttons))(on_button)
    app.command(exactly(slash_commands()))(on_command)
    app.options(exactly(reg.lookups))(on_options)
    app.event("app_home_opened")(home_opened)


class _Shown:
    """`respond`, keeping what was sent: a repeat of the request is sent the same."""

    def __init__(self, respond: Any) -> None:
        self.respond = respond
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, **message: Any) -> None:
        self.sent.append(message)
        await self.respond(**message)


def _done(form: Any) -> dict[str, Any]:
    return notice_view(form.done, Replayed.MESSAGE)


async def _again(
    body: dict[str, Any], client: Any, respond: Any, first: dict[str, Any] | None
) -> None:
    """A repeated button or command: what the first was answered with, nothing run."""
    sent = (first or {}).get("respond") or []
    if not sent:
        await _refuse(body, client, respond, Replayed())
    for message in sent:
        await respond(**message)


def exactly(names: Iterable[str]) -> re.Pattern[str]:
    """A pattern bolt matches (with `search`) against exactly these names."""
    return re.compile(r"\A(?:" + "|".join(re.escape(n) for n in names) + r")\Z")


def slash_commands() -> list[str]:
    """The slash commands Slack offers (bot/slack/manifest.json declares each)."""
    return [f"/{c.name}" for c in registry().commands.values() if c.slack]


async def publish_home(client: Any, turn: Turn) -> None:
    reply = await registry().commands["waiting"].run(turn, "")
    assert isinstance(reply, Reply) and reply.card is not None
    await client.views_publish(user_id=turn.actor.slack_user_id, view=card(reply.card))


def _on_home(body: dict[str, Any]) -> bool:
    """A button on the App Home: no message to answer under, and the home to refresh."""
    return not body.get("response_url")


async def _show(
    body: dict[str, Any], client: Any, respond: Any, turn: Turn, answer: Answer, *, replace: bool
) -> None:
    """Show an interaction's answer where the person is looking.

    A form opens as a modal. A card replaces the message clicked (a button) or comes
    privately (a command); from the App Home, which has no message, it goes to their DM.
    A short answer is a private message, or on the App Home a refreshed home.
    """
    if isinstance(answer, FormSpec):
        await client.views_open(trigger_id=body["trigger_id"], view=form_view(answer))
        return
    reply = answer if isinstance(answer, Reply) else Reply(text=answer)
    if _on_home(body) and not body.get("command"):
        await _show_from_home(client, turn, reply)
        return
    if reply.card is not None and replace:
        await respond(replace_original=True, **card(reply.card))
    elif reply.card is not None:
        await respond(response_type="ephemeral", **card(reply.card))
    elif reply.text:
        await respond(response_type="ephemeral", replace_original=False, **notice(reply.text))
    for more in reply.more:
        await respond(replace_original=False, **card(more))


async def _show_from_home(client: Any, turn: Turn, reply: Reply) -> None:
    shown = [c for c in (reply.card, *reply.more) if c is not None]
    if shown:
        channel = (await client.conversations_open(users=turn.actor.slack_user_id))["channel"]["id"]
        for each in shown:
            await client.chat_postMessage(channel=channel, **card(each))
    await publish_home(client, turn)


async def _refuse(body: dict[str, Any], client: Any, respond: Any, exc: BaseException) -> None:
    """A refusal, where the person will see it: under the message, or (App Home) a modal.

    The App Home has no message to answer under. When the modal cannot open (no trigger,
    or Slack refuses it: a trigger lasts three seconds), the refusal goes to their DM
    instead: a refusal is never silent, and a failure to show it is logged by its type
    alone (the refusal may quote what they typed).
    """
    text = message_for(exc)
    if not _on_home(body) or body.get("command"):
        await respond(response_type="ephemeral", replace_original=False, **notice(text))
        return
    if body.get("trigger_id"):
        try:
            await client.views_open(
                trigger_id=body["trigger_id"], view=notice_view("safecontact", text)
            )
            return
        except Exception as failed:
            log.warning("could not open a refusal on the App Home (%s)", type(failed).__name__)
    user = (body.get("user") or {}).get("id")
    try:
        channel = (await client.conversations_open(users=user))["channel"]["id"]
        await client.chat_postMessage(channel=channel, **notice(text))
    except Exception as failed:
        log.warning("could not send a refusal to a DM (%s)", type(failed).__name__)
