"""Deciding an authorisation request: only an authoriser, never one's own, first wins (s7, s7.1).

Every rule is checked here, against the database, whatever the card's payload says.
The decision is one conditional UPDATE, so two authorisers clicking at the same moment
get one decision; the other is told who decided and when.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from cards import letters
from cards.forms import FieldSpec, FormSpec
from cards.ids import DecisionField, FormName
from dialogs import catalogue as cat
from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, BadRequest, Forbidden, NotFound
from dialogs.policy_map import carries
from dialogs.strategy_view import (
    authorisation_card_model,
    card_key,
    describe_restriction,
    routes_left,
    staff_names,
)
from dialogs.validation import validate
from storage import audit, jobs, outbox
from storage import staff as staff_repo
from storage.models import (
    Authorisation,
    ContactStrategy,
    Incident,
    Letter,
    Person,
    SharingRequest,
    StaffMember,
)

DECISIONS = ("approve", "deny", "changes")
STATUS = {"approve": "approved", "deny": "denied", "changes": "changes_requested"}
MAX_REASON = 1500


async def _load(session: AsyncSession, authorisation_id: Any) -> Authorisation:
    auth = (
        await session.get(Authorisation, authorisation_id)
        if isinstance(authorisation_id, int)
        else None
    )
    if auth is None:
        raise NotFound("That request could not be found.")
    return auth


def _check_may_decide(actor: StaffMember, auth: Authorisation) -> None:
    if not actor.has_role("authoriser"):
        raise Forbidden(
            "Only an authoriser (the Head of Business Services and Assurance, or senior "
            "staff nominated by the Chief Executive) can decide this (s7)."
        )
    if actor.id == auth.requested_by_id:
        raise Forbidden(
            "You made this request, so another authoriser must decide it (separation of duties)."
        )


def decision_form(ctx: Ctx, *, authorisation_id: int, decision: str) -> FormSpec:
    """The reason asked for a Deny or an Ask for changes (approve needs none)."""
    if decision not in ("deny", "changes"):
        raise BadRequest("That is not a decision that needs a reason.")
    deny = decision == "deny"
    return FormSpec(
        name=FormName.DECISION,
        title="Deny request" if deny else "Ask for changes",
        submit="Deny" if deny else "Send back",
        fields=[
            FieldSpec(
                id=DecisionField.REASON,
                label="Reason (goes to the proposer and the case file)"
                if deny
                else "What should change? (goes to the proposer)",
                kind="textarea",
                max_length=MAX_REASON,
            )
        ],
        context={"authorisation_id": authorisation_id, "decision": decision},
        timezone=ctx.policy.timezone,
    )


async def check_can_decide(ctx: Ctx, *, actor: StaffMember, authorisation_id: Any) -> None:
    """Refuse before a form is even shown to someone who may not decide."""
    async with ctx.db.read() as session:
        auth = await _load(session, authorisation_id)
        _check_may_decide(actor, auth)
        await _check_pending(session, ctx, auth)


async def _check_pending(session: AsyncSession, ctx: Ctx, auth: Authorisation) -> None:
    if auth.status == "pending":
        return
    who = await session.get(StaffMember, auth.decided_by_id) if auth.decided_by_id else None
    label = STATUS_LABEL.get(auth.status, auth.status)
    when = ctx.local(auth.decided_at) if auth.decided_at else "an earlier time"
    raise AlreadyDone(f"Already {label} by {who.name if who else 'someone'} at {when}.")


STATUS_LABEL = {"approved": "approved", "denied": "denied", "changes_requested": "sent back"}


async def decide(
    ctx: Ctx,
    *,
    actor: StaffMember,
    authorisation_id: Any,
    decision: str,
    submitted: dict[str, Any] | None = None,
) -> str:
    if decision not in DECISIONS:
        raise BadRequest("That is not a decision.")
    reason = ""
    if decision != "approve":
        values = validate(
            decision_form(ctx, authorisation_id=0, decision=decision), submitted or {}
        )
        reason = values[DecisionField.REASON]
    async with ctx.db.write() as session:
        auth = await _load(session, authorisation_id)
        _check_may_decide(actor, auth)
        result = await session.execute(
            update(Authorisation)
            .where(Authorisation.id == auth.id, Authorisation.status == "pending")
            .values(
                status=STATUS[decision],
                decided_by_id=actor.id,
                decided_at=ctx.now,
                decision_reason=reason,
            )
        )
        await session.refresh(auth)
        if not result.rowcount:
            await _check_pending(session, ctx, auth)
        decider = await session.get(StaffMember, actor.id)
        assert decider is not None
        if auth.kind == "sharing":
            reference = await _sharing_decided(session, ctx, auth, decider)
        else:
            reference = await _strategy_decided(session, ctx, auth, decider)
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action=f"authorisation.{STATUS[decision]}",
            entity_type="authorisation",
            entity_id=auth.id,
            detail={"case": reference, "kind": auth.kind},
            at=ctx.now,
        )
        await outbox.refresh_card(
            session,
            card_key=card_key(auth.id),
            model=await authorisation_card_model(session, ctx, auth),
        )
    ctx.wake_outbox()
    verb = {"approve": "Approved", "deny": "Denied", "changes": "Sent back for changes"}[decision]
    return f"{verb}: {reference}. The requester has been told."


async def _strategy_decided(
    session: AsyncSession, ctx: Ctx, auth: Authorisation, decider: StaffMember
) -> str:
    strategy = await session.get(ContactStrategy, auth.strategy_id)
    assert strategy is not None
    person = await session.get(Person, strategy.person_id)
    proposer = await session.get(StaffMember, auth.requested_by_id)
    assert person is not None and proposer is not None
    if auth.status == "denied":
        strategy.status = "denied"
        await notify.send(
            session,
            to=proposer,
            template="decision_notice",
            model={
                "reference": person.reference,
                "what": "contact strategy",
                "outcome": "denied",
                "by": decider.name,
                "reason": auth.decision_reason,
                "revise_id": None,
            },
            origin=decider,
        )
        return person.reference
    if auth.status == "changes_requested":
        strategy.status = "draft"
        await notify.send(
            session,
            to=proposer,
            template="decision_notice",
            model={
                "reference": person.reference,
                "what": "contact strategy",
                "outcome": "changes",
                "by": decider.name,
                "reason": auth.decision_reason,
                "revise_id": strategy.id,
            },
            origin=decider,
        )
        return person.reference
    await activate(session, ctx, strategy, person, proposer, decider)
    return person.reference


async def activate(
    session: AsyncSession,
    ctx: Ctx,
    strategy: ContactStrategy,
    person: Person,
    proposer: StaffMember,
    decider: StaffMember,
) -> None:
    """Put an approved strategy in force: reminders, the letter, and everyone told (s7)."""
    strategy.status = "active"
    strategy.activated_at = ctx.now
    person.last_activity_at = ctx.now
    if strategy.supersedes_id is not None:
        old = await session.get(ContactStrategy, strategy.supersedes_id)
        if old is not None and old.status == "active":
            old.status = "altered"
            old.ended_at = ctx.now
    await schedule_review_reminders(session, ctx, strategy)
    letter = strategy_letter(ctx, strategy, person, decider, await staff_names(session))
    session.add(letter)
    await session.flush()
    await audit.record(
        session,
        actor=f"staff:{decider.id}",
        action="letter.created",
        entity_type="letter",
        entity_id=letter.id,
        detail={"case": person.reference, "kind": "strategy"},
        at=ctx.now,
    )
    await notify.send(
        session,
        to=proposer,
        template="decision_notice",
        model={
            "reference": person.reference,
            "what": "contact strategy",
            "outcome": "approved",
            "by": decider.name,
            "reason": "",
            "revise_id": None,
        },
        origin=decider,
    )
    await notify.send(
        session,
        to=proposer,
        template="letter_file",
        model={
            "reference": person.reference,
            "subject": letter.subject,
            "filename": f"{person.reference}-contact-strategy.html",
            "comment": (
                f"The letter telling {person.name} about the contact strategy. Send it by "
                f"{letter.send_by.replace('_', ' ')}, with a copy of the policy. It is kept "
                "in the case file."
            ),
        },
        kind="file",
        letter_id=letter.id,
        origin=decider,
    )
    # s7.1: staff must keep to the strategy too; those who deal with the person are told.
    told = {proposer.id, decider.id}
    summary = {
        "reference": person.reference,
        "restrictions": [
            describe_restriction(r, await staff_names(session)) for r in strategy.restrictions
        ],
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "role": "",
    }
    spoc_id = next((r.spoc_staff_id for r in strategy.restrictions if r.kind == "spoc"), None)
    if spoc_id and spoc_id not in told:
        spoc = await session.get(StaffMember, spoc_id)
        if spoc is not None:
            await notify.send(
                session,
                to=spoc,
                template="strategy_in_force",
                model={**summary, "role": "You are their single point of contact."},
                origin=decider,
            )
            told.add(spoc_id)
    for incident_id in strategy.incident_ids:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            continue
        reporter = await session.get(StaffMember, incident.reporter_id)
        manager = await staff_repo.manager_of(session, member=reporter) if reporter else None
        if manager is not None and manager.id not in told:
            await notify.send(
                session,
                to=manager,
                template="strategy_in_force",
                model={**summary, "role": "It follows an incident one of your team reported."},
                origin=decider,
            )
            told.add(manager.id)


async def schedule_review_reminders(
    session: AsyncSession, ctx: Ctx, strategy: ContactStrategy
) -> None:
    """Store the review reminders (s7.1); the scheduler delivers them in office hours."""
    opening = ctx.policy.office_hours_start
    for lead in ctx.policy.review_reminder_days:
        day = strategy.review_date - timedelta(days=lead)
        due = datetime.combine(day, opening, tzinfo=ctx.zone)
        if due < ctx.now:
            continue
        await jobs.schedule(
            session,
            key=f"review-reminder:{strategy.id}:{strategy.review_date.isoformat()}:{lead}",
            kind="review_reminder",
            due_at=due,
            payload={"strategy_id": strategy.id, "lead_days": lead},
        )
    overdue = datetime.combine(
        strategy.review_date + timedelta(days=ctx.policy.overdue_reminder_every_days),
        time(opening.hour, opening.minute),
        tzinfo=ctx.zone,
    )
    await jobs.schedule(
        session,
        key=f"review-overdue:{strategy.id}:{strategy.review_date.isoformat()}",
        kind="review_overdue",
        due_at=overdue,
        payload={"strategy_id": strategy.id},
    )


def strategy_letter(
    ctx: Ctx,
    strategy: ContactStrategy,
    person: Person,
    decider: StaffMember,
    names: dict[int, str],
) -> Letter:
    model = {
        "organisation": ctx.organisation.model_dump(),
        "date": ctx.now.astimezone(ctx.zone).strftime("%d %B %Y"),
        "reference": person.reference,
        "person_name": person.name,
        "reasons": strategy.reasons,
        "restrictions": [describe_restriction(r, names) for r in strategy.restrictions],
        "routes": routes_left(strategy),
        "advocate": next(
            (
                {"name": r.advocate_name, "contact": r.advocate_contact}
                for r in strategy.restrictions
                if r.kind == "advocate_only"
            ),
            None,
        ),
        "review_date": strategy.review_date.strftime("%d %B %Y"),
        "send_by": cat.label(cat.CONTACT_METHODS, strategy.letter_channel or "letter").lower(),
        "signatory": decider.name,
        "large_print": strategy.large_print,
    }
    subject, html, text = letters.render("strategy", model)
    return Letter(
        person_id=person.id,
        kind="strategy",
        send_by=strategy.letter_channel or "letter",
        subject=subject,
        html=html,
        text=text,
        strategy_id=strategy.id,
        created_by_id=decider.id,
        created_at=ctx.now,
    )


async def _sharing_decided(
    session: AsyncSession, ctx: Ctx, auth: Authorisation, decider: StaffMember
) -> str:
    request = await session.get(SharingRequest, auth.sharing_request_id)
    assert request is not None
    person = await session.get(Person, request.person_id)
    requester = await session.get(StaffMember, auth.requested_by_id)
    assert person is not None and requester is not None
    outcome = {"approved": "approved", "denied": "denied"}.get(auth.status, "changes")
    await notify.send(
        session,
        to=requester,
        template="decision_notice",
        model={
            "reference": person.reference,
            "what": f"request to share with {request.agency}",
            "outcome": outcome,
            "by": decider.name,
            "reason": auth.decision_reason,
            "revise_id": None,
            "sharing_request_id": request.id if auth.status == "approved" else None,
        },
        origin=decider,
    )
    return person.reference


POLICY = (
    carries(
        "7",
        "Only an authoriser may restrict contact, never on their own proposal, and the "
        "first decision wins; on approval the letter to the person says what the policy "
        "requires.",
        "tests/test_slack_strategy.py::test_permission_matrix",
        "tests/test_slack_strategy.py::test_authoriser_cannot_decide_own_proposal",
        "tests/test_slack_strategy.py::test_double_click_and_concurrent_decisions_give_one_decision",
        "tests/test_slack_strategy.py::test_letter_says_everything_the_policy_requires",
    ),
    carries(
        "7.1",
        "A strategy coming into force stores its review reminders.",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/test_scheduler.py::test_review_reminders_on_their_days_then_weekly_while_overdue",
    ),
)
