"""Sharing a strategy with a partner agency (s7.1): only for legitimate reasons, only once
a senior manager agrees, and every disclosure logged (Data Protection Act 2018)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import DisclosureField, FormName, SharingField
from dialogs import authorisation_request
from dialogs import catalogue as cat
from dialogs.context import Ctx
from dialogs.errors import DomainError, FieldErrors, NotFound
from dialogs.policy_map import carries
from dialogs.validation import check, validate
from storage import audit
from storage.models import (
    Authorisation,
    ContactStrategy,
    Disclosure,
    Person,
    SharingRequest,
    StaffMember,
)

MAX_WHAT = 1500


async def _person(session: Any, person_id: Any) -> Person:
    person = await session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or person.anonymised_at is not None:
        raise NotFound("That person could not be found.")
    return person


def _spec(ctx: Ctx, person: Person) -> FormSpec:
    return FormSpec(
        name=FormName.SHARING,
        title="Share with an agency",
        submit="Ask to share",
        intro=(
            f"*{person.reference}*: details may be shared with a partner agency only for a "
            "legitimate reason, such as safeguarding or a risk to life, and a senior manager "
            "must agree first (s7.1)."
        ),
        fields=[
            FieldSpec(
                id=SharingField.AGENCY,
                label="Agency",
                kind="text",
                max_length=200,
                placeholder="e.g. Adult Social Care",
            ),
            FieldSpec(
                id=SharingField.WHAT,
                label="What is to be shared",
                kind="textarea",
                max_length=MAX_WHAT,
            ),
            FieldSpec(
                id=SharingField.REASON,
                label="Legitimate reason",
                kind="radio",
                options=[Choice(value=i.id, label=i.label) for i in cat.SHARING_REASONS],
            ),
            FieldSpec(
                id=SharingField.EXPLANATION,
                label="Explanation",
                kind="textarea",
                required=False,
                max_length=MAX_WHAT,
                hint="Required when the reason is 'Other'.",
            ),
            FieldSpec(
                id=SharingField.CONSENT,
                label="Has the person consented?",
                kind="radio",
                options=[Choice(value=i.id, label=i.label) for i in cat.YES_NO],
            ),
        ],
        context={"person_id": person.id},
        timezone=ctx.policy.timezone,
    )


async def sharing_form(ctx: Ctx, *, actor: StaffMember, person_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        return _spec(ctx, await _person(session, person_id))


async def submit_request(
    ctx: Ctx, *, actor: StaffMember, person_id: Any, submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        person = await _person(session, person_id)
        values, errors = check(_spec(ctx, person), submitted)
        if (
            values.get(SharingField.REASON) == "other"
            and SharingField.EXPLANATION in values
            and (not values[SharingField.EXPLANATION])
        ):
            errors[SharingField.EXPLANATION] = "Explain the legitimate reason."
        if errors:
            raise FieldErrors(errors)
        authorisers = await authorisation_request.deciders(session, requester=actor)
        active = (
            await session.execute(
                select(ContactStrategy.id).where(
                    ContactStrategy.person_id == person.id, ContactStrategy.status == "active"
                )
            )
        ).scalar()
        request = SharingRequest(
            person_id=person.id,
            strategy_id=active,
            agency=values[SharingField.AGENCY],
            what=values[SharingField.WHAT],
            reason_kind=values[SharingField.REASON],
            reason_detail=values[SharingField.EXPLANATION] or "",
            consent=values[SharingField.CONSENT] == "yes",
            requested_by_id=actor.id,
            created_at=ctx.now,
        )
        session.add(request)
        await session.flush()
        auth = await authorisation_request.ask(
            session,
            ctx,
            kind="sharing",
            requester=actor,
            authorisers=authorisers,
            sharing_request_id=request.id,
        )
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="sharing.requested",
            entity_type="sharing_request",
            entity_id=request.id,
            detail={
                "case": person.reference,
                "reason": request.reason_kind,
                "authorisation": auth.id,
            },
            at=ctx.now,
        )
    ctx.wake_outbox()
    return (
        f"Your request to share {person.reference}'s details with {request.agency} has gone "
        "to the authorisers. Don't share anything until it is approved."
    )


def _disclosure_spec(ctx: Ctx, request_id: int) -> FormSpec:
    return FormSpec(
        name=FormName.DISCLOSURE,
        title="Record a disclosure",
        submit="Record",
        fields=[
            FieldSpec(id=DisclosureField.DISCLOSED_ON, label="Date shared", kind="date"),
            FieldSpec(
                id=DisclosureField.NOTE,
                label="What was shared, with whom, and how",
                kind="textarea",
                max_length=MAX_WHAT,
            ),
        ],
        context={"sharing_request_id": request_id},
        values={DisclosureField.DISCLOSED_ON: ctx.now.astimezone(ctx.zone).date().isoformat()},
        timezone=ctx.policy.timezone,
    )


async def _approved_request(session: Any, actor: StaffMember, request_id: Any) -> SharingRequest:
    request = await session.get(SharingRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.requested_by_id != actor.id:
        raise NotFound("That sharing request could not be found among yours.")
    approved = (
        await session.execute(
            select(Authorisation.id).where(
                Authorisation.sharing_request_id == request.id,
                Authorisation.status == "approved",
            )
        )
    ).first()
    if approved is None:
        raise DomainError("That request has not been approved, so nothing may be shared.")
    return request


async def disclosure_form(ctx: Ctx, *, actor: StaffMember, request_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        request = await _approved_request(session, actor, request_id)
        return _disclosure_spec(ctx, request.id)


async def record_disclosure(
    ctx: Ctx, *, actor: StaffMember, request_id: Any, submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        request = await _approved_request(session, actor, request_id)
        values = validate(_disclosure_spec(ctx, request.id), submitted)
        if values[DisclosureField.DISCLOSED_ON] > ctx.now.astimezone(ctx.zone).date():
            raise FieldErrors({DisclosureField.DISCLOSED_ON: "This date is in the future."})
        disclosure = Disclosure(
            sharing_request_id=request.id,
            disclosed_by_id=actor.id,
            disclosed_at=ctx.now,
            note=f"{values[DisclosureField.DISCLOSED_ON]:%d %b %Y}: {values[DisclosureField.NOTE]}",
        )
        session.add(disclosure)
        await session.flush()
        person = await session.get(Person, request.person_id)
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="sharing.disclosed",
            entity_type="disclosure",
            entity_id=disclosure.id,
            detail={"case": person.reference if person else None, "sharing_request": request.id},
            at=ctx.now,
        )
    return "Disclosure recorded in the case file."


POLICY = (
    carries(
        "7.1",
        "Sharing a strategy with a partner agency: only for a legitimate reason, only "
        "once an authoriser agrees, and every disclosure logged.",
        "tests/test_slack_strategy.py::test_sharing_approved_then_disclosure_logged",
        "tests/test_slack_strategy.py::test_sharing_denied_and_no_disclosure_possible",
        "tests/test_slack_strategy.py::test_other_explanation_required",
    ),
)
