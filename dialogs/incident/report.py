"""Reporting an incident, and everyone who must hear of it (s4-s6).

A report is stored in one change with its audit event, the reporter's receipt, the
manager's card, the welfare check-in and the follow-up job, so a crash either keeps all
of it or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cards.forms import FormSpec
from cards.ids import IncidentField as F
from dialogs import catalogue as cat
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.incident import police
from dialogs.incident.card import card_key, card_model, receipt_model, recipients
from dialogs.incident.form import incident_form
from dialogs.incident.rules import BLOCKING_NEEDS_FURTHER_ABUSE, report_errors
from dialogs.interactions import Turn
from dialogs.jobs.payloads import PoliceReferralNudge, WelfareFollowUp
from dialogs.kinds import AuditAction, Template
from dialogs.validation import check
from dialogs.welfare.flow import send_checkin
from storage import incidents as incidents_repo
from storage import people as people_repo
from storage import refs
from storage import strategies as strategies_repo
from storage.models import Incident, Person, StaffMember
from storage.models.status import CheckInKind


@dataclass(frozen=True)
class Recorded:
    incident_id: int
    reference: str
    person_name: str


def confirmation(recorded: Recorded) -> str:
    return (
        f"Your report is saved as *{recorded.reference}*. I'm sending it to your manager "
        "now, and a check-in to you in our private chat; if either can't be delivered, "
        "I'll tell you there."
    )


async def form(turn: Turn, *_: Any) -> FormSpec:
    """The report form: from /incident, the App Home, or rebuilt to read a Teams card."""
    return incident_form(turn.ctx)


async def submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return confirmation(await record(turn.ctx, actor=turn.actor, submitted=values))


async def record(ctx: Ctx, *, actor: StaffMember, submitted: dict[str, Any]) -> Recorded:
    """Store a report and tell everyone who must know; FieldErrors leave nothing behind."""
    values, errors = check(incident_form(ctx), submitted)
    errors = {**report_errors(values, ctx.now), **errors}
    if errors:
        raise FieldErrors(errors)
    async with change(ctx, actor) as uow:
        person = await _person_for(uow, values)
        blocked_after = await _what_permits_blocking(uow, person, values[F.ACTIONS])
        # The actor was just read from the directory: attach it without reading it again.
        reporter = await uow.session.merge(actor, load=False)
        incident = Incident(
            person_id=person.id,
            reporter_id=reporter.id,
            occurred_at=values[F.OCCURRED_AT],
            channel=values[F.CHANNEL],
            behaviours=values[F.BEHAVIOURS],
            other_behaviour=values[F.OTHER_BEHAVIOUR] or None,
            what_happened=values[F.WHAT_HAPPENED],
            impact=values[F.IMPACT] or "",
            actions_taken=values[F.ACTIONS],
            violence=values[F.VIOLENCE] == "yes",
            known_needs=values[F.NEEDS] or "",
            self_check={q.id: values[f"s4_{q.id}"] for q in cat.SELF_CHECK},
            created_at=ctx.now,
        )
        uow.add(incident)
        person.last_activity_at = ctx.now
        if incident.known_needs and incident.known_needs not in person.additional_needs:
            person.additional_needs = "\n".join(
                x for x in (person.additional_needs, incident.known_needs) if x
            )
        await uow.audit(
            AuditAction.INCIDENT_REPORTED,
            incident,
            case=person.reference,
            channel=incident.channel,
            behaviours=incident.behaviours,
            police_report_required=incident.violence,
            **({"blocked_after": blocked_after} if blocked_after else {}),
        )
        await _tell(uow, incident, person, reporter)
        return Recorded(incident.id, person.reference, person.name)


async def _tell(uow: Change, incident: Incident, person: Person, reporter: StaffMember) -> None:
    """The manager's card, the receipt, the check-in, and the jobs that follow them up."""
    ctx = uow.ctx
    told = await recipients(uow.session, reporter=reporter)
    standing = await strategies_repo.standing(uow.session, person_id=person.id)
    card = card_model(ctx, incident, person, reporter, told, strategy=standing)
    for decider in told.people:
        await uow.tell(decider, Template.INCIDENT_CARD, card, card_key=card_key(incident.id))
    await uow.tell(reporter, Template.INCIDENT_RECEIPT, receipt_model(ctx, incident, person, told))
    await send_checkin(uow, reporter, kind=CheckInKind.AFTER_INCIDENT, incident_id=incident.id)
    # Appendix A: a second check-in later, delivered by the scheduler.
    await uow.schedule(
        WelfareFollowUp(staff_id=reporter.id, incident_id=incident.id),
        due_at=ctx.now + timedelta(hours=ctx.policy.welfare_followup_hours),
    )
    if incident.violence:
        # s6: always reported to the police; chase it if no referral is recorded.
        await uow.schedule(
            PoliceReferralNudge(incident_id=incident.id),
            due_at=police.due(0, incident.created_at, ctx.policy),
        )


async def _what_permits_blocking(uow: Change, person: Person, actions: list[str]) -> str | None:
    """s6: blocking follows further abuse, or a strategy an authoriser approved that blocks
    social media. What on file permits it (that strategy, an earlier social media report,
    or a warning given) is recorded with the report's audit event; a block with nothing
    behind it is refused at its field, and nothing is stored."""
    if "blocked" not in actions:
        return None
    if person.id is not None:
        strategy = await strategies_repo.in_force(uow.session, person_id=person.id)
        if strategy is not None and any(
            "social_media" in (r.blocked_channels or []) for r in strategy.restrictions
        ):
            return f"contact_strategy:{strategy.id}"
        for earlier in await incidents_repo.of_person(uow.session, person_id=person.id):
            if earlier.channel == "social_media":
                return f"incident:{earlier.id}"
        given = await incidents_repo.warnings_given(uow.session, person_id=person.id)
        if given:
            return f"warning:{given[-1].id}"
    raise FieldErrors({F.ACTIONS: BLOCKING_NEEDS_FURTHER_ABUSE})


async def _person_for(uow: Change, values: dict[str, Any]) -> Person:
    ctx = uow.ctx
    if values[F.PERSON] is not None:
        person = await people_repo.get_live(uow.session, person_id=values[F.PERSON])
        if person is None:
            raise FieldErrors({F.PERSON: "That person is no longer on file; search again."})
        return person
    reference = await refs.allocate_reference(uow.session, year=ctx.now.astimezone(ctx.zone).year)
    person = Person(
        reference=reference,
        name=values[F.NEW_PERSON],
        additional_needs="",
        reasonable_adjustments="",
        created_at=ctx.now,
        last_activity_at=ctx.now,
    )
    uow.add(person)
    await uow.audit(AuditAction.PERSON_CREATED, person, by="system", case=reference)
    return person
