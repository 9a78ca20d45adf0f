"""Deciding an authorisation request: only an authoriser, never one's own, first wins (s7, s7.1).

Every rule is checked here, against the database, whatever the card's payload says.
The decision is one conditional UPDATE, so two authorisers clicking at the same moment
get one decision; the other is told who decided and when.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from cards.forms import FormSpec
from cards.ids import DecisionField, FormName
from dialogs import fields as f
from dialogs.authorisation.activate import approve as approve_strategy
from dialogs.authorisation.rules import DECISIONS, DONE_LABEL, check_may_decide
from dialogs.authorisation.view import card_key, card_model
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, BadRequest, FieldErrors, NotFound
from dialogs.incident.follow_up import refresh_person_cards
from dialogs.interactions import Click, Turn
from dialogs.kinds import AuditAction, Template
from dialogs.validation import validate
from storage import authorisations as authorisations_repo
from storage.db import AsyncSession
from storage.models import Authorisation, ContactStrategy, Person, SharingRequest, StaffMember
from storage.models.status import AuthorisationKind, AuthorisationStatus, StrategyStatus

MAX_REASON = 1500
VERBS = {"approve": "Approved", "deny": "Denied", "changes": "Sent back for changes"}
ACTIONS = {
    AuthorisationStatus.APPROVED: AuditAction.AUTHORISATION_APPROVED,
    AuthorisationStatus.DENIED: AuditAction.AUTHORISATION_DENIED,
    AuthorisationStatus.CHANGES_REQUESTED: AuditAction.AUTHORISATION_CHANGES_REQUESTED,
}

DENY = f.Head(FormName.DECISION, "Deny request", "Deny")
FROM = f.Head(FormName.APPROVE_FROM, "Approve from a date", "Approve")
# How far ahead an authoriser may set a later start: within the review period's reach.
MAX_LATER_DAYS = 90
CHANGES = f.Head(FormName.DECISION, "Ask for changes", "Send back")

T = TypeVar("T", ContactStrategy, SharingRequest)


def decision_form(ctx: Ctx, *, authorisation_id: int, decision: str) -> FormSpec:
    """The reason asked for a Deny or an Ask for changes (approve needs none)."""
    if decision not in ("deny", "changes"):
        raise BadRequest("That is not a decision that needs a reason.")
    deny = decision == "deny"
    label = (
        "Reason (goes to the proposer and the case file)"
        if deny
        else "What should change? (goes to the proposer)"
    )
    return (DENY if deny else CHANGES).form(
        ctx,
        [f.textarea(DecisionField.REASON, label, max_length=MAX_REASON)],
        context={"authorisation_id": authorisation_id, "decision": decision},
    )


async def _load(session: AsyncSession, authorisation_id: Any) -> Authorisation:
    auth = await authorisations_repo.get(session, authorisation_id=authorisation_id)
    if auth is None:
        raise NotFound("That request could not be found.")
    return auth


async def _check_pending(session: AsyncSession, ctx: Ctx, auth: Authorisation) -> None:
    if auth.status == AuthorisationStatus.PENDING:
        return
    who = await session.get(StaffMember, auth.decided_by_id) if auth.decided_by_id else None
    label = DONE_LABEL.get(AuthorisationStatus(auth.status), auth.status)
    when = ctx.local(auth.decided_at) if auth.decided_at else "an earlier time"
    raise AlreadyDone(f"Already {label} by {who.name if who else 'someone'} at {when}.")


async def reason_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """Deny or Ask for changes: refused, before the form shows, to someone who may not decide."""
    decision = str(context.get("decision"))
    async with turn.ctx.db.read() as session:
        auth = await _load(session, context.get("authorisation_id"))
        check_may_decide(
            turn.actor,
            auth.requested_by_id,
            separate=turn.ctx.policy.separate_proposer_and_authoriser,
        )
        await _check_pending(session, turn.ctx, auth)
    return decision_form(turn.ctx, authorisation_id=auth.id, decision=decision)


def from_date_form(ctx: Ctx, *, authorisation_id: int) -> FormSpec:
    """Approve a strategy to take effect on a later day (and never before its letter is sent)."""
    return FROM.form(
        ctx,
        [f.day(DecisionField.TAKES_EFFECT_ON, "Takes effect on")],
        intro=(
            "The restrictions take effect on this day, or when the letter telling the person "
            "is recorded as sent if that is later: never before they have been told (s6, s7). "
            "The review date is counted from the day it takes effect."
        ),
        context={"authorisation_id": authorisation_id},
        values={DecisionField.TAKES_EFFECT_ON: (ctx.today + timedelta(days=7)).isoformat()},
    )


async def approve_from_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """Approve from a date: for a contact strategy, refused first to who may not decide."""
    async with turn.ctx.db.read() as session:
        auth = await _load(session, context.get("authorisation_id"))
        check_may_decide(
            turn.actor,
            auth.requested_by_id,
            separate=turn.ctx.policy.separate_proposer_and_authoriser,
        )
        await _check_pending(session, turn.ctx, auth)
        if auth.kind == AuthorisationKind.SHARING:
            raise BadRequest("Only a contact strategy can be approved from a later date.")
    return from_date_form(turn.ctx, authorisation_id=auth.id)


async def submit_approve_from(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    ctx = turn.ctx
    clean = validate(from_date_form(ctx, authorisation_id=0), values)
    day = clean[DecisionField.TAKES_EFFECT_ON]
    if day <= ctx.today:
        raise FieldErrors(
            {DecisionField.TAKES_EFFECT_ON: "Choose a later day, or use Approve to start it now."}
        )
    if day > ctx.today + timedelta(days=MAX_LATER_DAYS):
        raise FieldErrors(
            {DecisionField.TAKES_EFFECT_ON: f"Choose a day within {MAX_LATER_DAYS} days."}
        )
    return await decide(
        ctx,
        actor=turn.actor,
        authorisation_id=context.get("authorisation_id"),
        decision="approve",
        takes_effect_on=day,
    )


async def approve(turn: Turn, click: Click) -> str:
    return await decide(
        turn.ctx, actor=turn.actor, authorisation_id=click.value, decision="approve"
    )


async def submit_reason(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    decision = context.get("decision")
    if decision not in ("deny", "changes"):
        # The reason form only ever denies or sends back; Approve is its own button.
        raise BadRequest("This form's details are not valid; please use the card's buttons.")
    return await decide(
        turn.ctx,
        actor=turn.actor,
        authorisation_id=context.get("authorisation_id"),
        decision=decision,
        submitted=values,
    )


async def decide(
    ctx: Ctx,
    *,
    actor: StaffMember,
    authorisation_id: Any,
    decision: str,
    submitted: dict[str, Any] | None = None,
    takes_effect_on: date | None = None,
) -> str:
    if decision not in DECISIONS:
        raise BadRequest("That is not a decision.")
    reason = ""
    if decision != "approve":
        form = decision_form(ctx, authorisation_id=0, decision=decision)
        reason = validate(form, submitted or {})[DecisionField.REASON]
    async with change(ctx, actor) as uow:
        auth = await _load(uow.session, authorisation_id)
        check_may_decide(
            actor, auth.requested_by_id, separate=ctx.policy.separate_proposer_and_authoriser
        )
        status = DECISIONS[decision]
        if not await authorisations_repo.decide(
            uow.session, authorisation=auth, status=status, by=actor.id, at=ctx.now, reason=reason
        ):
            await _check_pending(uow.session, ctx, auth)
        decider = await uow.session.get(StaffMember, actor.id)
        assert decider is not None
        if auth.kind == AuthorisationKind.SHARING:
            reference = await _sharing_decided(uow, auth, decider)
        else:
            reference = await _strategy_decided(uow, auth, decider, takes_effect_on)
        await uow.audit(ACTIONS[status], auth, case=reference, kind=auth.kind)
        await uow.refresh_card(card_key(auth.id), await card_model(uow.session, ctx, auth))
    return (
        f"{VERBS[decision]}: {reference}. I'm letting the requester know, and I'll tell you "
        "if that message can't be delivered."
    )


def _notice(
    person: Person, what: str, outcome: str, decider: StaffMember, auth: Authorisation
) -> dict[str, Any]:
    return {
        "reference": person.reference,
        "what": what,
        "outcome": outcome,
        "by": decider.name,
        "reason": auth.decision_reason,
        "revise_id": None,
    }


async def _parties(
    uow: Change, auth: Authorisation, model: type[T], row_id: int | None
) -> tuple[T, Person, StaffMember]:
    """What was decided, whom it is about, and who asked for it."""
    row = await uow.session.get(model, row_id)
    assert row is not None
    person = await uow.session.get(Person, row.person_id)
    requester = await uow.session.get(StaffMember, auth.requested_by_id)
    assert person is not None and requester is not None
    return row, person, requester


async def _strategy_decided(
    uow: Change, auth: Authorisation, decider: StaffMember, takes_effect_on: date | None
) -> str:
    strategy, person, proposer = await _parties(uow, auth, ContactStrategy, auth.strategy_id)
    if auth.status == AuthorisationStatus.APPROVED:
        strategy.takes_effect_on = takes_effect_on
        await approve_strategy(uow, strategy, person, proposer, decider)
        await refresh_person_cards(uow, person.id)
        return person.reference
    denied = auth.status == AuthorisationStatus.DENIED
    strategy.status = StrategyStatus.DENIED if denied else StrategyStatus.DRAFT
    await uow.flush()
    await refresh_person_cards(uow, person.id)
    notice = _notice(person, "contact strategy", "denied" if denied else "changes", decider, auth)
    notice["revise_id"] = None if denied else strategy.id
    await uow.tell(proposer, Template.DECISION_NOTICE, notice)
    return person.reference


async def _sharing_decided(uow: Change, auth: Authorisation, decider: StaffMember) -> str:
    request, person, requester = await _parties(uow, auth, SharingRequest, auth.sharing_request_id)
    approved = auth.status == AuthorisationStatus.APPROVED
    outcome = {"approved": "approved", "denied": "denied"}.get(auth.status, "changes")
    notice = _notice(person, f"request to share with {request.agency}", outcome, decider, auth)
    notice["sharing_request_id"] = request.id if approved else None
    await uow.tell(requester, Template.DECISION_NOTICE, notice)
    return person.reference
