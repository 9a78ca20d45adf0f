"""Card actions: adaptiveCard/action invokes from forms and buttons, by verb.

A form's answer replaces the form (a confirmation, the next form of a flow, or the same
form with each problem under its field); a button leaves its card alone and shows a
short message, because the card itself is brought up to date in place by the outbox
(update_activity), the same way on every copy. Every refusal is a message to the user,
never a 5xx.

This module holds the dispatch and the incident and welfare actions; contact strategies
and their monitoring add their own tables (strategy_actions.py, monitoring_actions.py).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.context import TRY_AGAIN, ctx_for, message_for
from bot.runtime import Runtime
from bot.teams import monitoring_actions, people, strategy_actions
from bot.teams.context import (
    actor_for,
    card_activity,
    card_response,
    error_response,
    message_response,
    notice_card,
)
from bot.teams.forms import render_form
from bot.teams.invokes import Button, Form, opens_form
from bot.teams.payloads import (
    CONTEXT_KEY,
    Execute,
    Submission,
    execute_from,
    form_submission,
    int_value,
    privacy_steps,
)
from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from cards.render import render
from dialogs import incident, incident_actions, welfare
from dialogs.context import Ctx
from dialogs.errors import BadRequest, FieldErrors
from dialogs.validation import validate
from storage.db import DatabaseUnavailable
from storage.models import StaffMember

# -- forms ---------------------------------------------------------------------------


async def _incident_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return incident.form(ctx)


async def _submit_incident(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    recorded = await incident.submit(ctx, actor=actor, submitted=values)
    return (
        f"Your report is saved as {recorded.reference}. Your manager has been told, "
        "and I'll send you a check-in here in a moment."
    )


async def _warning_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await incident_actions.warning_form(
        ctx, actor=actor, incident_id=meta.get("incident_id")
    )


async def _submit_warning(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await incident_actions.submit_warning(
        ctx, actor=actor, incident_id=meta.get("incident_id"), submitted=values
    )


async def _police_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await incident_actions.police_form(ctx, actor=actor, incident_id=meta.get("incident_id"))


async def _submit_police(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await incident_actions.submit_police(
        ctx, actor=actor, incident_id=meta.get("incident_id"), submitted=values
    )


FORMS: dict[str, Form] = {
    FormName.INCIDENT: Form("Report saved", _incident_spec, _submit_incident),
    FormName.WARNING: Form("Warning recorded", _warning_spec, _submit_warning),
    FormName.POLICE_REFERRAL: Form("Referral recorded", _police_spec, _submit_police),
    **strategy_actions.FORMS,
    **monitoring_actions.FORMS,
}


def _context_of(data: dict[str, Any]) -> dict[str, Any]:
    context = data.get(CONTEXT_KEY) or {}
    if not isinstance(context, dict):
        raise BadRequest("This form's hidden details are malformed; please reopen it.")
    return context


def _first_input(spec: FormSpec) -> str:
    return next(f.id for f in spec.fields if f.kind != "info")


async def _resolve_people(ctx: Ctx, spec: FormSpec, sub: Submission) -> None:
    """Turn typed names or references into "p:<id>"; report every problem at once."""
    errors: dict[str, str] = {}
    for field_id, text in sub.people.items():
        if not text:
            continue
        try:
            sub.values[field_id] = await people.resolve(ctx, text=text)
        except ValueError as exc:
            errors[field_id] = str(exc)
    if errors:
        try:
            validate(spec, sub.values)
        except FieldErrors as exc:
            errors = {**exc.errors, **errors}
        raise FieldErrors(errors)


async def submit_form(
    runtime: Runtime, turn: TurnContext, form: Form, run: Execute
) -> InvokeResponse:
    """Validate and store; the answer replaces the form. Errors keep what was typed."""
    ctx = ctx_for(runtime)
    spec: FormSpec | None = None
    sub: Submission | None = None
    try:
        actor = await actor_for(ctx, turn.activity)
        spec = await form.spec(ctx, actor, _context_of(run.data))
        sub = form_submission(spec, run.data)
        await _resolve_people(ctx, spec, sub)
        answer = await form.submit(ctx, actor, sub.values, sub.context)
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
    return card_response(notice_card(answer, form.title))


# -- buttons -------------------------------------------------------------------------


async def _acknowledge(
    ctx: Ctx, turn: TurnContext, actor: StaffMember, data: dict[str, Any]
) -> InvokeResponse:
    incident_id = int_value(data.get("incident_id"))
    note = await incident_actions.acknowledge(ctx, actor=actor, incident_id=incident_id)
    return message_response(note)


async def _warning_form(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await incident_actions.warning_form(ctx, actor=actor, incident_id=incident_id)


async def _police_form(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await incident_actions.police_form(ctx, actor=actor, incident_id=incident_id)


def _welfare(choice: str) -> Button:
    async def answer(
        ctx: Ctx, turn: TurnContext, actor: StaffMember, data: dict[str, Any]
    ) -> InvokeResponse:
        checkin_id = int_value(data.get("checkin_id"))
        reply = await welfare.answer(ctx, actor=actor, checkin_id=checkin_id, choice=choice)
        if reply.support is not None:
            await turn.send_activity(card_activity(render("teams", "support", reply.support)))
        card = render("teams", "welfare_checkin", {**reply.checkin, "note": reply.note})
        return card_response(card)

    return answer


async def _privacy(
    ctx: Ctx, turn: TurnContext, actor: StaffMember, data: dict[str, Any]
) -> InvokeResponse:
    checkin_id = int_value(data.get("checkin_id"))
    steps = privacy_steps(data)
    await welfare.save_privacy_steps(ctx, actor=actor, checkin_id=checkin_id, steps=steps)
    return message_response("Saved. Only you can see this checklist.")


BUTTONS: dict[str, Button] = {
    ActionId.ACKNOWLEDGE: _acknowledge,
    ActionId.RECORD_WARNING: opens_form("incident_id", _warning_form),
    ActionId.RECORD_POLICE: opens_form("incident_id", _police_form),
    ActionId.WELFARE_OK: _welfare("ok"),
    ActionId.WELFARE_TALK: _welfare("talk"),
    ActionId.WELFARE_SUPPORT: _welfare("support"),
    ActionId.PRIVACY_STEPS: _privacy,
    **strategy_actions.BUTTONS,
    **monitoring_actions.BUTTONS,
}


async def on_action(runtime: Runtime, turn: TurnContext) -> InvokeResponse:
    """Route an adaptiveCard/action invoke by its verb."""
    try:
        run = execute_from(turn.activity.value)
    except BadRequest as exc:
        return error_response(HTTPStatus.BAD_REQUEST, exc.message)
    form = FORMS.get(run.verb)
    if form is not None:
        return await submit_form(runtime, turn, form, run)
    button = BUTTONS.get(run.verb)
    if button is None:
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "This button is not one safecontact knows; it may be from an old card.",
        )
    ctx = ctx_for(runtime)
    try:
        actor = await actor_for(ctx, turn.activity)
        return await button(ctx, turn, actor, run.data)
    except Exception as exc:
        return message_response(message_for(exc))
