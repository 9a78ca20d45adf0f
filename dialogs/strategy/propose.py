"""Proposing a contact strategy (s7) and sending it for authorisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.forms import FormSpec
from cards.ids import StrategyField as F
from cards.wording import join_names
from dialogs import catalogue as cat
from dialogs.authorisation.request import ask, deciders
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import BadRequest, DomainError, FieldErrors, NotFound
from dialogs.incident.follow_up import refresh_person_cards
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction
from dialogs.people import contact_details
from dialogs.people.find import one_person
from dialogs.people.find import person as find_person
from dialogs.strategy import shortcomings, warned
from dialogs.strategy.form import RESTRICTION_FIELDS, Subject, proposal_spec, values_from
from dialogs.strategy.rules import proposal_errors
from dialogs.validation import check
from storage import incidents as incidents_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import ContactStrategy, Restriction, StaffMember
from storage.models.status import AuthorisationKind, StrategyStatus


async def load_subject(session: AsyncSession, person_id: Any) -> Subject:
    person = await find_person(session, person_id)
    incidents = await incidents_repo.of_person(session, person_id=person.id)
    incidents.reverse()  # newest first, as the form lists them
    return Subject(
        person,
        incidents,
        await incidents_repo.warnings_given(session, person_id=person.id),
        await staff_repo.list_staff(session),
    )


async def _refuse_if_in_force(session: AsyncSession, subject: Subject) -> None:
    standing = await strategies_repo.standing(session, person_id=subject.person.id)
    if standing == StrategyStatus.PENDING:
        raise DomainError(
            f"A contact strategy for {subject.person.reference} is already waiting for an "
            "authoriser's decision. You will hear the outcome; it cannot be proposed twice."
        )
    if standing == StrategyStatus.APPROVED:
        raise DomainError(
            f"A contact strategy for {subject.person.reference} is approved, awaiting notice: "
            "it takes effect once its letter is recorded as sent. It cannot be proposed twice."
        )
    if standing == StrategyStatus.ACTIVE:
        raise DomainError(
            f"A contact strategy is already in force for {subject.person.reference}. "
            "To change it, start a review (/case, then Start review) and choose Alter."
        )


async def revisable(session: AsyncSession, actor: StaffMember, strategy_id: Any) -> ContactStrategy:
    """A proposal of the actor's that an authoriser sent back and that is not yet resubmitted."""
    old = await strategies_repo.get(session, strategy_id=strategy_id)
    if old is None or old.proposer_id != actor.id:
        raise NotFound("That proposal could not be found among yours.")
    if old.status != StrategyStatus.DRAFT:
        raise DomainError("That proposal is not waiting for changes, so it cannot be edited now.")
    if await strategies_repo.resubmitted(session, strategy_id=old.id):
        raise DomainError("You have already resubmitted that proposal.")
    return old


async def proposal_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """The proposal form: to revise a returned proposal (`revision_of`), from an incident
    (`incident_id`), or for a person (`person_id`)."""
    async with turn.ctx.db.read() as session:
        values: dict[str, Any] = {}
        revising = context.get("revision_of")
        person_id = context.get("person_id")
        if revising is not None:
            old = await revisable(session, turn.actor, revising)
            person_id = old.person_id
            values = values_from(old)
        elif context.get("incident_id") is not None:
            incident = await incidents_repo.get(session, incident_id=context["incident_id"])
            if incident is None:
                raise NotFound("That incident could not be found.")
            person_id = incident.person_id
            values[F.INCIDENTS] = [str(incident.id)]
        subject = await load_subject(session, person_id)
        if revising is None:
            await _refuse_if_in_force(session, subject)
        if not subject.incidents:
            raise DomainError(
                f"{subject.person.reference} has no recorded incidents. A strategy must rest "
                "on recorded behaviour: report the incident first with /incident."
            )
        kept = {"revision_of": revising} if revising is not None else {}
        context = {**kept, "person_id": subject.person.id}
        return proposal_spec(turn.ctx, subject, context, values)


async def for_named(turn: Turn, args: str) -> FormSpec:
    """`/strategy REF`: the proposal form for the one person named."""
    async with turn.ctx.db.read() as session:
        who = await one_person(session, args, usage="/strategy")
    return await proposal_form(turn, {"person_id": who.id})


def checked(
    ctx: Ctx, spec: FormSpec, subject: Subject, submitted: dict[str, Any]
) -> dict[str, Any]:
    """The proposal's answers, or FieldErrors naming every problem at once."""
    values, errors = check(spec, submitted)
    values, errors = only_chosen(values, errors)
    # s5: the methods their recorded needs rule out stay ruled out; the proposer may add.
    ruled_out = set(values.get(F.UNUSABLE) or []) | set(subject.person.unusable_methods or [])
    if F.UNUSABLE in values:
        values[F.UNUSABLE] = [m.id for m in cat.CONTACT_METHODS if m.id in ruled_out]
    today = ctx.now.astimezone(ctx.zone).date()
    rules = proposal_errors(
        values, incident_ids=subject.incident_ids, staff_ids=subject.staff_ids, today=today
    )
    rules.update(warned.errors(values.get(F.WARNING_GIVEN), subject.warnings))
    chosen = {int(i) for i in values.get(F.INCIDENTS) or [] if str(i).isdigit()}
    found = shortcomings.found(subject.incidents, ctx.zone, only=chosen)
    rules.update(shortcomings.errors(values.get(F.SHORTCOMINGS), found))
    errors = {**rules, **errors}
    if errors:
        raise FieldErrors(errors)
    return values


def only_chosen(
    values: dict[str, Any], errors: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """A restriction's settings count only when it is chosen: what is left in the field of
    one not ticked (a stray call length, say) is neither checked nor kept."""
    kinds = values.get(F.RESTRICTIONS) or []
    values, errors = dict(values), dict(errors)
    for kind, pairs in RESTRICTION_FIELDS.items():
        if kind in kinds:
            continue
        for field, _ in pairs:
            errors.pop(field, None)
            if field in values:
                values[field] = [] if isinstance(values[field], list) else None
    return values, errors


@dataclass(frozen=True)
class Proposed:
    reference: str
    authorisation_id: int
    authorisers: list[str]


async def submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    proposed = await propose(turn.ctx, actor=turn.actor, context=context, submitted=values)
    return (
        f"The proposal for *{proposed.reference}* has gone to "
        f"{join_names(proposed.authorisers)} to decide. I'll tell you the outcome."
    )


async def propose(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> Proposed:
    """Store a proposal and send it to every authoriser but the proposer (s7)."""
    async with change(ctx, actor) as uow:
        session = uow.session
        subject = await load_subject(session, context.get("person_id"))
        revision_of = context.get("revision_of")
        old = await revisable(session, actor, revision_of) if revision_of is not None else None
        if old is not None and old.person_id != subject.person.id:
            raise BadRequest("This form's details do not match the proposal it revises.")
        if old is None or old.supersedes_id is None:
            await _refuse_if_in_force(session, subject)
        values = checked(ctx, proposal_spec(ctx, subject, context, {}), subject, submitted)
        authorisers = await deciders(
            session, requester=actor, separate=ctx.policy.separate_proposer_and_authoriser
        )
        strategy = strategy_from(ctx, actor, subject, values)
        strategy.revision_of_id = revision_of
        if old is not None:
            # A sent-back change (s7 review, "alter") still replaces the strategy in force.
            strategy.supersedes_id = old.supersedes_id
        uow.add(strategy)
        await contact_details.keep(uow, subject.person, values)
        await uow.flush()
        kind = AuthorisationKind.CHANGE if strategy.supersedes_id else AuthorisationKind.STRATEGY
        authorisation = await ask(
            uow, kind=kind, requester=actor, authorisers=authorisers, strategy_id=strategy.id
        )
        await uow.audit(
            AuditAction.STRATEGY_PROPOSED,
            strategy,
            case=subject.person.reference,
            authorisation=authorisation.id,
            restrictions=[r.kind for r in strategy.restrictions],
            revision_of=revision_of,
        )
        await refresh_person_cards(uow, subject.person.id)
        return Proposed(subject.person.reference, authorisation.id, [a.name for a in authorisers])


def strategy_from(
    ctx: Ctx, actor: StaffMember, subject: Subject, v: dict[str, Any]
) -> ContactStrategy:
    """A pending strategy from the form's checked answers."""
    restrictions = []
    for kind in v[F.RESTRICTIONS]:
        r = Restriction(kind=kind, blocked_channels=[])
        for field, attr in RESTRICTION_FIELDS[kind]:
            setattr(r, attr, int(v[field][2:]) if field == F.SPOC else v[field])
        restrictions.append(r)
    return ContactStrategy(
        person_id=subject.person.id,
        proposer_id=actor.id,
        status=StrategyStatus.PENDING,
        reasons=v[F.REASONS],
        public_summary=v[F.PUBLIC_SUMMARY],
        incident_ids=[int(i) for i in v[F.INCIDENTS]],
        warning_given=v[F.WARNING_GIVEN] == "yes",
        no_warning_reason=v[F.NO_WARNING_REASON] or "",
        shortcomings_addressed=v[F.SHORTCOMINGS] or None,
        adjustments_considered=v[F.ADJUSTMENTS],
        criteria={c.id: v[f"criterion_{c.id}"] for c in cat.CRITERIA},
        review_date=v[F.REVIEW_DATE],
        letter_channel=v[F.LETTER_CHANNEL],
        large_print=v[F.LETTER_FORMAT] == "large_print",
        unusable_methods=v[F.UNUSABLE] or [],
        restrictions=restrictions,
        created_at=ctx.now,
    )
