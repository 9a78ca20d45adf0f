"""Teams (and the local web chat), dispatched from the one registry in dialogs/.

A card action is an adaptiveCard/action invoke carrying a verb: a form's name or a
button's action id. A form's answer replaces the form (a confirmation, the next form of
a flow, or the same form with each problem under its field); a button leaves its card
alone and shows a short message, because the card itself is brought up to date in place
by the outbox (update_activity) on every copy. A message is a command. Every refusal is
a message to the user, never a 5xx. Nothing here knows what any particular form asks.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.context import TRY_AGAIN, Turns, message_for
from bot.interactions_once import once, teams_key
from bot.teams.context import (
    card_activity,
    card_response,
    error_response,
    message_response,
    notice_card,
)
from bot.teams.forms import render_form
from bot.teams.payloads import (
    CONTEXT_KEY,
    Execute,
    Submission,
    click,
    execute_from,
    form_submission,
)
from cards.forms import FormSpec
from cards.render import render
from dialogs.errors import BadRequest, FieldErrors, Replayed
from dialogs.help import help_card
from dialogs.interactions import Answer, Card, Form, Reply, Turn
from dialogs.people.find import resolve_typed
from dialogs.registry import registry
from dialogs.validation import validate
from storage.db import DatabaseUnavailable

TURNS = "safecontact.turns"


def turns_of(turn_context: TurnContext) -> Turns:
    """The request's `Turns`, put there by the bot's on_turn (bot/teams/handler.py)."""
    return turn_context.turn_state[TURNS]


def card(shown: Card) -> dict[str, Any]:
    return render("teams", shown.template, shown.model)


# -- messages: commands ----------------------------------------------------------------


async def command_card(turn_context: TurnContext, text: str) -> dict[str, Any]:
    """The one card a message is answered with: its command's answer, or help; a copy
    of a message that changed something gets the first card (bot/interactions_once.py)."""
    db = turns_of(turn_context).runtime.db
    command = registry().commands.get(text.strip().partition(" ")[0].removeprefix("/").lower())
    writes = command is not None and command.writes
    async with once(db, teams_key(turn_context.activity) if writes else None) as seen:
        if seen.repeat:
            return (seen.first or {}).get("card") or notice_card(Replayed.MESSAGE)
        shown = await _command_card(turn_context, text)
        seen.keep({"card": shown})
        return shown


async def _command_card(turn_context: TurnContext, text: str) -> dict[str, Any]:
    try:
        turn: Turn = await turns_of(turn_context)()
        word, _, args = text.strip().partition(" ")
        command = registry().commands.get(word.removeprefix("/").lower())
        if command is None:
            return card(help_card(said=text))
        command.who.check(turn.actor)
        answer = await command.answer(turn, args.strip())
    except Exception as exc:
        return notice_card(message_for(exc))
    if isinstance(answer, FormSpec):
        return render_form(answer)
    if isinstance(answer, Reply) and answer.card is not None:
        return card(answer.card)
    return notice_card(answer.text if isinstance(answer, Reply) else answer)


# -- card actions ----------------------------------------------------------------------


async def on_action(turn_context: TurnContext) -> InvokeResponse:
    """Route an adaptiveCard/action invoke by its verb; a copy of one that changed
    something gets the first answer (bot/interactions_once.py)."""
    db = turns_of(turn_context).runtime.db
    async with once(db, teams_key(turn_context.activity)) as seen:
        if seen.repeat:
            if seen.first is None:
                return message_response(Replayed.MESSAGE)
            return InvokeResponse(status=seen.first["status"], body=seen.first["body"])
        response = await _on_action(turn_context)
        seen.keep({"status": response.status, "body": response.body})
        return response


async def _on_action(turn_context: TurnContext) -> InvokeResponse:
    try:
        run = execute_from(turn_context.activity.value)
    except BadRequest as exc:
        return error_response(HTTPStatus.BAD_REQUEST, exc.message)
    reg = registry()
    form = reg.forms.get(run.verb)
    if form is not None:
        return await _submit(turn_context, form, run)
    button = reg.buttons.get(run.verb)
    if button is None:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "This button is not one safecontact knows; it may be from an old card.",
        )
    try:
        turn: Turn = await turns_of(turn_context)()
        button.who.check(turn.actor)
        answer = await button.run(turn, click(run.data, button.key, button.checklist))
        return await _button_answer(turn_context, answer)
    except Exception as exc:
        return message_response(message_for(exc))


async def _button_answer(turn_context: TurnContext, answer: Answer) -> InvokeResponse:
    if isinstance(answer, FormSpec):
        # A new message, so the card the button is on stays in view above the form.
        await turn_context.send_activity(card_activity(render_form(answer)))
        return message_response(f"{answer.title}: I have sent you the form.")
    reply = answer if isinstance(answer, Reply) else Reply(text=answer)
    for more in reply.more:
        await turn_context.send_activity(card_activity(card(more)))
    if reply.card is not None:
        return card_response(card(reply.card))
    return message_response(reply.text)


def _context_of(data: dict[str, Any]) -> dict[str, Any]:
    context = data.get(CONTEXT_KEY) or {}
    if not isinstance(context, dict):
        raise BadRequest("This form's hidden details are malformed; please reopen it.")
    return context


def _first_input(spec: FormSpec) -> str:
    return next(f.id for f in spec.fields if f.kind != "info")


async def _resolve_people(turn: Turn, spec: FormSpec, sub: Submission) -> None:
    """Turn typed names or references into "p:<id>"; report every problem at once."""
    errors: dict[str, str] = {}
    for field_id, text in sub.people.items():
        if not text:
            continue
        try:
            sub.values[field_id] = await resolve_typed(turn.ctx, text)
        except ValueError as exc:
            errors[field_id] = str(exc)
    if errors:
        try:
            validate(spec, sub.values)
        except FieldErrors as exc:
            errors = {**exc.errors, **errors}
        raise FieldErrors(errors)


async def _submit(turn_context: TurnContext, form: Form, run: Execute) -> InvokeResponse:
    """Validate and store; the answer replaces the form. Errors keep what was typed."""
    spec: FormSpec | None = None
    sub: Submission | None = None
    try:
        turn: Turn = await turns_of(turn_context)()
        form.who.check(turn.actor)
        spec = await form.spec(turn, _context_of(run.data))
        sub = form_submission(spec, run.data)
        await _resolve_people(turn, spec, sub)
        answer = await form.submit(turn, sub.values, sub.context)
    except FieldErrors as exc:
        if spec is None:
            return card_response(notice_card(exc.message))
        known = {f.id for f in spec.fields}
        errors = {k: v for k, v in exc.errors.items() if k in known}
        if not errors:
            errors = {_first_input(spec): exc.message}
        return card_response(render_form(spec, shown=sub.shown if sub else None, errors=errors))
    except DatabaseUnavailable:
        if spec is None:
            return card_response(notice_card(TRY_AGAIN))
        # Keep the form with the answers in it, so nothing typed is lost.
        shown = sub.shown if sub else None
        return card_response(render_form(spec, shown=shown, errors={_first_input(spec): TRY_AGAIN}))
    except Exception as exc:
        # A refusal: no title saying it was done ("Report saved") over the reason it wasn't.
        return card_response(notice_card(message_for(exc)))
    if isinstance(answer, FormSpec):  # the flow goes on: the next form replaces this one
        return card_response(render_form(answer))
    text = answer.text if isinstance(answer, Reply) else answer
    return card_response(notice_card(text, form.done))
