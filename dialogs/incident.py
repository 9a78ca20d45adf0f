"""Reporting an incident: the form, its rules, and everyone who must hear of it (s4-s6).

A report is stored in one transaction with its audit event, the reporter's receipt,
the manager's card, the welfare check-in and the follow-up job, so a crash either
keeps all of it or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from cards.forms import Choice, ChoiceGroup, FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import IncidentField as F
from dialogs import catalogue as cat
from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.policy_map import carries
from dialogs.validation import check
from storage import audit, jobs, refs
from storage.models import Incident, Person, StaffMember, WelfareCheckIn

MAX_WHAT = 3000
MAX_IMPACT = 1500
MAX_NEEDS = 1000
MAX_NAME = 200
# A report may describe something that happened a little in the future of the server's
# clock (a laptop clock running fast), but not tomorrow.
FUTURE_SLACK = timedelta(minutes=10)


def _choices(items: tuple[cat.Item, ...]) -> list[Choice]:
    return [Choice(value=i.id, label=i.label) for i in items]


def form(ctx: Ctx, *, values: dict[str, Any] | None = None) -> FormSpec:
    """The incident form; the same questions on Slack and Teams."""
    fields = [
        FieldSpec(
            id=F.PERSON,
            label="Member of the public",
            kind="person",
            required=False,
            hint="Search by name or case reference. Leave empty if they are new to us.",
            placeholder="Type a name or SC- reference",
        ),
        FieldSpec(
            id=F.NEW_PERSON,
            label="…or, if they are new, their name",
            kind="text",
            required=False,
            max_length=MAX_NAME,
        ),
        FieldSpec(id=F.OCCURRED_AT, label="When did it happen?", kind="datetime"),
        FieldSpec(
            id=F.CHANNEL,
            label="How were they in contact?",
            kind="select",
            options=_choices(cat.CHANNELS),
            placeholder="Choose a channel",
        ),
        FieldSpec(
            id=F.BEHAVIOURS,
            label="What behaviour did you experience?",
            kind="multiselect",
            groups=[
                ChoiceGroup(label=g.label, options=_choices(g.items)) for g in cat.BEHAVIOUR_GROUPS
            ],
            hint="Choose all that apply, from the policy's lists (s3.1, s3.2).",
            placeholder="Choose behaviours",
        ),
        FieldSpec(
            id=F.WHAT_HAPPENED,
            label="What happened?",
            kind="textarea",
            max_length=MAX_WHAT,
            hint="What was said or done, in their words where you can.",
        ),
        FieldSpec(
            id=F.IMPACT,
            label="How has it affected you?",
            kind="textarea",
            max_length=MAX_IMPACT,
            required=False,
        ),
        FieldSpec(
            id=F.ACTIONS,
            label="What did you do at the time? (s6)",
            kind="checkboxes",
            options=_choices(cat.ACTIONS_TAKEN),
        ),
        FieldSpec(
            id=F.VIOLENCE,
            label="Was physical violence used or threatened?",
            kind="radio",
            options=_choices(cat.YES_NO),
            hint="If yes, the office always reports it to the police (s6).",
        ),
        FieldSpec(
            id=F.NEEDS,
            label="Known additional needs or communication support (s5)",
            kind="textarea",
            required=False,
            max_length=MAX_NEEDS,
            hint="Only what they have told us; don't assess their health yourself.",
        ),
        FieldSpec(
            id="s4_intro",
            label="Before deciding what to do, the policy asks us to check ourselves (s4):",
            kind="info",
            required=False,
        ),
    ]
    fields += [
        FieldSpec(
            id=f"s4_{q.id}", label=q.label, kind="radio", options=_choices(cat.SELF_CHECK_ANSWERS)
        )
        for q in cat.SELF_CHECK
    ]
    return FormSpec(
        name=FormName.INCIDENT,
        title="Report an incident",
        submit="Send report",
        intro="Your manager will be told and you'll get a check-in from me afterwards.",
        fields=fields,
        # To the minute, as the pickers show it; the same form for a minute can be reused.
        values={F.OCCURRED_AT: int(ctx.now.timestamp()) // 60 * 60, **(values or {})},
        timezone=ctx.policy.timezone,
    )


async def search_people(ctx: Ctx, *, query: str, limit: int = 20) -> list[Choice]:
    """Type-ahead for the person field: reference prefix or part of the name."""
    query = query.strip()[:100]
    if not query:
        return []
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    async with ctx.db.read() as session:
        people = (
            await session.execute(
                select(Person)
                .where(
                    Person.anonymised_at.is_(None),
                    or_(
                        Person.reference.ilike(query.upper() + "%"),
                        Person.name.ilike(pattern, escape="\\"),
                    ),
                )
                .order_by(Person.name)
                .limit(limit)
            )
        ).scalars()
        return [Choice(value=f"p:{p.id}", label=_person_label(p)) for p in people]


def _person_label(p: Person) -> str:
    suffix = f" ({p.reference})"
    return p.name[: 75 - len(suffix)] + suffix


@dataclass(frozen=True)
class Recorded:
    incident_id: int
    reference: str
    person_name: str


async def submit(ctx: Ctx, *, actor: StaffMember, submitted: dict[str, Any]) -> Recorded:
    """Store a report and tell everyone who must know; FieldErrors leave nothing behind."""
    values, errors = check(form(ctx), submitted)
    errors = {**_rule_errors(ctx, values), **errors}
    if errors:
        raise FieldErrors(errors)

    async with ctx.db.write() as session:
        person = await _person_for(session, ctx, values)
        # The actor was just read from the directory: attach it without reading it again.
        reporter = await session.merge(actor, load=False)
        incident = Incident(
            person_id=person.id,
            reporter_id=reporter.id,
            occurred_at=values[F.OCCURRED_AT],
            channel=values[F.CHANNEL],
            behaviours=values[F.BEHAVIOURS],
            what_happened=values[F.WHAT_HAPPENED],
            impact=values[F.IMPACT] or "",
            actions_taken=values[F.ACTIONS],
            violence=values[F.VIOLENCE] == "yes",
            known_needs=values[F.NEEDS] or "",
            self_check={q.id: values[f"s4_{q.id}"] for q in cat.SELF_CHECK},
            created_at=ctx.now,
        )
        session.add(incident)
        person.last_activity_at = ctx.now
        if incident.known_needs and incident.known_needs not in person.additional_needs:
            person.additional_needs = "\n".join(
                x for x in (person.additional_needs, incident.known_needs) if x
            )
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{reporter.id}",
            action="incident.reported",
            entity_type="incident",
            entity_id=incident.id,
            detail={
                "case": person.reference,
                "channel": incident.channel,
                "behaviours": incident.behaviours,
                "police_report_required": incident.violence,
            },
            at=ctx.now,
        )
        deciders = await notify.incident_card_recipients(session, reporter=reporter)
        card = notify.incident_card_model(ctx, incident, person, reporter, deciders)
        for decider in deciders.people:
            await notify.send(
                session,
                to=decider,
                template="incident_card",
                model=card,
                card_key=notify.incident_card_key(incident.id),
                origin=reporter,
            )
        await notify.send(
            session,
            to=reporter,
            template="incident_receipt",
            model={
                "reference": person.reference,
                "person_name": person.name,
                "occurred_at": ctx.local(incident.occurred_at),
                "told": deciders.description,
                "police_required": incident.violence,
            },
            origin=reporter,
        )
        checkin = WelfareCheckIn(
            staff_id=reporter.id,
            incident_id=incident.id,
            kind="after_incident",
            created_at=ctx.now,
        )
        session.add(checkin)
        await session.flush()
        await notify.send(
            session,
            to=reporter,
            template="welfare_checkin",
            model=notify.checkin_model(checkin),
            card_key=f"checkin:{checkin.id}",
            origin=reporter,
        )
        # Appendix A: a second check-in later, delivered by the scheduler.
        await jobs.schedule(
            session,
            key=f"welfare-followup:incident:{incident.id}",
            kind="welfare_followup",
            due_at=ctx.now + timedelta(hours=ctx.policy.welfare_followup_hours),
            payload={"staff_id": reporter.id, "incident_id": incident.id},
        )
        if incident.violence:
            # s6: always reported to the police; chase it if no referral is recorded.
            await jobs.schedule(
                session,
                key=f"police-nudge:incident:{incident.id}",
                kind="police_referral_nudge",
                due_at=ctx.now + timedelta(hours=ctx.policy.police_referral_nudge_hours),
                payload={"incident_id": incident.id},
            )
        recorded = Recorded(incident.id, person.reference, person.name)
    ctx.wake_outbox()
    return recorded


def _rule_errors(ctx: Ctx, values: dict[str, Any]) -> dict[str, str]:
    """The incident's own rules, on whichever fields passed their basic checks."""
    errors: dict[str, str] = {}
    person, new_name = values.get(F.PERSON, 0), values.get(F.NEW_PERSON, "")
    if person is None and new_name is None:
        errors[F.PERSON] = "Choose who this was, or give a new person's name below."
    elif person and new_name:
        errors[F.NEW_PERSON] = "You chose someone above; clear this, or clear the choice above."
    when = values.get(F.OCCURRED_AT)
    if when is not None and when > ctx.now + FUTURE_SLACK:
        errors[F.OCCURRED_AT] = "This is in the future; when did it happen?"
    actions = values.get(F.ACTIONS) or []
    if "none" in actions and len(actions) > 1:
        errors[F.ACTIONS] = "You chose 'None of these' with other actions; choose one or the other."
    return errors


async def _person_for(session: Any, ctx: Ctx, values: dict[str, Any]) -> Person:
    if values[F.PERSON] is not None:
        person = await session.get(Person, values[F.PERSON])
        if person is None or person.anonymised_at is not None:
            raise FieldErrors({F.PERSON: "That person is no longer on file; search again."})
        return person
    reference = await refs.allocate_reference(session, year=ctx.now.astimezone(ctx.zone).year)
    person = Person(
        reference=reference,
        name=values[F.NEW_PERSON],
        additional_needs="",
        reasonable_adjustments="",
        created_at=ctx.now,
        last_activity_at=ctx.now,
    )
    session.add(person)
    await session.flush()
    await audit.record(
        session,
        actor="system",
        action="person.created",
        entity_type="person",
        entity_id=person.id,
        detail={"case": reference},
        at=ctx.now,
    )
    return person


POLICY = (
    carries(
        "2",
        "Staff report unacceptable or unreasonable behaviour in chat; the report is kept "
        "with its audit event and the reporter gets a receipt.",
        "tests/test_slack_incident.py::test_incident_full_path",
        "tests/test_teams_incident.py::test_incident_full_path",
    ),
    carries(
        "4",
        "The s4 self-check is asked on every report, and an answer of No is shown to the "
        "manager as something to address first.",
        "tests/test_slack_incident.py::test_incident_full_path",
    ),
    carries(
        "5",
        "Known additional needs are asked on every report, taken as told, and kept on the person.",
        "tests/test_slack_incident.py::test_incident_full_path",
    ),
    carries(
        "6",
        "The reporter's manager is told of every incident (the authorisers when there is "
        "none), and violence used or threatened marks a police report as required.",
        "tests/test_slack_incident.py::test_no_manager_sends_card_to_authorisers",
        "tests/test_slack_incident.py::test_violence_marks_police_report_required",
    ),
    carries(
        "A",
        "An opportunity to report to managers and seek support: a welfare check-in "
        "follows every report.",
        "tests/test_slack_incident.py::test_incident_full_path",
    ),
)
