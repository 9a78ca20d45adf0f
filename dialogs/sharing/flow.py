"""Sharing a strategy with a partner agency (s7.1): only for legitimate reasons, only once
a senior manager agrees, and every disclosure logged (Data Protection Act 2018)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import DisclosureField, FormName, SharingField
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.authorisation.request import ask, deciders
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import DomainError, FieldErrors, NotFound
from dialogs.incident.rules import not_in_future
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction
from dialogs.people.find import form_about
from dialogs.people.find import person as find_person
from dialogs.validation import check, validate
from storage import sharing as sharing_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import Disclosure, Person, SharingRequest, StaffMember
from storage.models.status import AuthorisationKind

MAX_WHAT = 1500

SHARING = f.Head(FormName.SHARING, "Share with an agency", "Ask to share")
DISCLOSURE = f.Head(FormName.DISCLOSURE, "Record a disclosure", "Record")


def _spec(ctx: Ctx, person: Person) -> FormSpec:
    return SHARING.form(
        ctx,
        [
            f.text(
                SharingField.AGENCY, "Agency", max_length=200, placeholder="e.g. Adult Social Care"
            ),
            f.textarea(SharingField.WHAT, "What is to be shared", max_length=MAX_WHAT),
            f.pick(SharingField.REASON, "Legitimate reason", cat.SHARING_REASONS, kind="radio"),
            f.textarea(
                SharingField.EXPLANATION,
                "Explanation",
                max_length=MAX_WHAT,
                required=False,
                hint="Required when the reason is 'Other'.",
            ),
            f.yes_no(SharingField.CONSENT, "Has the person consented?"),
        ],
        intro=(
            f"*{person.reference}*: details may be shared with a partner agency only for a "
            "legitimate reason, such as safeguarding or a risk to life, and a senior manager "
            "must agree first (s7.1)."
        ),
        context={"person_id": person.id},
    )


async def sharing_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await form_about(turn.ctx, context, _spec)


async def submit_request(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        person = await find_person(uow.session, context.get("person_id"))
        values, errors = check(_spec(ctx, person), submitted)
        if (
            values.get(SharingField.REASON) == "other"
            and SharingField.EXPLANATION in values
            and not values[SharingField.EXPLANATION]
        ):
            errors[SharingField.EXPLANATION] = "Explain the legitimate reason."
        if errors:
            raise FieldErrors(errors)
        authorisers = await deciders(
            uow.session, requester=actor, separate=ctx.policy.separate_proposer_and_authoriser
        )
        active = await strategies_repo.in_force(uow.session, person_id=person.id)
        request = SharingRequest(
            person_id=person.id,
            strategy_id=active.id if active is not None else None,
            agency=values[SharingField.AGENCY],
            what=values[SharingField.WHAT],
            reason_kind=values[SharingField.REASON],
            reason_detail=values[SharingField.EXPLANATION] or "",
            consent=values[SharingField.CONSENT] == "yes",
            requested_by_id=actor.id,
            created_at=ctx.now,
        )
        uow.add(request)
        await uow.flush()
        auth = await ask(
            uow,
            kind=AuthorisationKind.SHARING,
            requester=actor,
            authorisers=authorisers,
            sharing_request_id=request.id,
        )
        await uow.audit(
            AuditAction.SHARING_REQUESTED,
            request,
            case=person.reference,
            reason=request.reason_kind,
            authorisation=auth.id,
        )
    return (
        f"Your request to share {person.reference}'s details with {request.agency} has gone "
        "to the authorisers. Don't share anything until it is approved."
    )


def _disclosure_spec(ctx: Ctx, request_id: int) -> FormSpec:
    return DISCLOSURE.form(
        ctx,
        [
            f.day(DisclosureField.DISCLOSED_ON, "Date shared"),
            f.textarea(
                DisclosureField.NOTE, "What was shared, with whom, and how", max_length=MAX_WHAT
            ),
        ],
        context={"sharing_request_id": request_id},
        values={DisclosureField.DISCLOSED_ON: ctx.now.astimezone(ctx.zone).date().isoformat()},
    )


async def _approved_request(
    session: AsyncSession, actor: StaffMember, request_id: Any
) -> SharingRequest:
    request = await sharing_repo.get(session, request_id=request_id)
    if request is None or request.requested_by_id != actor.id:
        raise NotFound("That sharing request could not be found among yours.")
    if not await sharing_repo.approved(session, request_id=request.id):
        raise DomainError("That request has not been approved, so nothing may be shared.")
    return request


async def disclosure_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        request_id = context.get("sharing_request_id")
        request = await _approved_request(session, turn.actor, request_id)
        return _disclosure_spec(turn.ctx, request.id)


async def record_disclosure(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        request_id = context.get("sharing_request_id")
        request = await _approved_request(uow.session, actor, request_id)
        values = validate(_disclosure_spec(ctx, request.id), submitted)
        shared_on = values[DisclosureField.DISCLOSED_ON]
        today = ctx.now.astimezone(ctx.zone).date()
        if errors := not_in_future(shared_on, today, DisclosureField.DISCLOSED_ON):
            raise FieldErrors(errors)
        disclosure = Disclosure(
            sharing_request_id=request.id,
            disclosed_by_id=actor.id,
            disclosed_at=ctx.now,
            note=f"{shared_on:%d %b %Y}: {values[DisclosureField.NOTE]}",
        )
        uow.add(disclosure)
        person = await uow.session.get(Person, request.person_id)
        await uow.audit(
            AuditAction.SHARING_DISCLOSED,
            disclosure,
            case=person.reference if person else None,
            sharing_request=request.id,
        )
    return "Disclosure recorded in the case file."
