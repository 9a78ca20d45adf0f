"""What a manager does from the incident card: acknowledge, warn (s6), refer to police (s6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from cards import letters
from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import FormName, PoliceField, WarningField
from dialogs import catalogue as cat
from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, FieldErrors, Forbidden, NotFound
from dialogs.policy_map import carries
from dialogs.validation import validate
from storage import audit, outbox
from storage.models import Incident, Letter, Person, PoliceReferral, StaffMember, Warning

MAX_BEHAVIOUR = 1500
MAX_POLICE_REF = 100


@dataclass
class _Loaded:
    incident: Incident
    person: Person
    reporter: StaffMember
    deciders: notify.Deciders


async def _load(session: AsyncSession, incident_id: Any) -> _Loaded:
    if not isinstance(incident_id, int):
        raise NotFound("That incident could not be found.")
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("That incident could not be found.")
    person = await session.get(Person, incident.person_id)
    reporter = await session.get(StaffMember, incident.reporter_id)
    assert person is not None and reporter is not None
    deciders = await notify.incident_card_recipients(session, reporter=reporter)
    return _Loaded(incident, person, reporter, deciders)


def _check_may_act(actor: StaffMember, loaded: _Loaded) -> None:
    """The card's recipients act on it; any authoriser may too. Never the reporter."""
    if actor.id == loaded.reporter.id:
        raise Forbidden("You reported this incident, so its follow-up is for your manager.")
    if actor.id in {d.id for d in loaded.deciders.people} or actor.has_role("authoriser"):
        return
    raise Forbidden("Only the reporter's manager or an authoriser can act on this incident.")


async def refresh_card(session: AsyncSession, ctx: Ctx, loaded: _Loaded) -> None:
    """Bring every copy of the manager's card up to date with what has been done."""
    acknowledged_by = (
        await session.get(StaffMember, loaded.incident.acknowledged_by_id)
        if loaded.incident.acknowledged_by_id
        else None
    )
    model = notify.incident_card_model(
        ctx,
        loaded.incident,
        loaded.person,
        loaded.reporter,
        loaded.deciders,
        acknowledged_by=acknowledged_by,
        records=await notify.incident_records(session, ctx, loaded.incident),
    )
    await outbox.refresh_card(
        session, card_key=notify.incident_card_key(loaded.incident.id), model=model
    )


async def acknowledge(ctx: Ctx, *, actor: StaffMember, incident_id: Any) -> str:
    """First acknowledgement wins; a second click is told who acknowledged and when."""
    async with ctx.db.write() as session:
        loaded = await _load(session, incident_id)
        _check_may_act(actor, loaded)
        result = await session.execute(
            update(Incident)
            .where(Incident.id == loaded.incident.id, Incident.acknowledged_at.is_(None))
            .values(acknowledged_by_id=actor.id, acknowledged_at=ctx.now)
        )
        if not result.rowcount:
            await session.refresh(loaded.incident)
            who = await session.get(StaffMember, loaded.incident.acknowledged_by_id)
            when = ctx.local(loaded.incident.acknowledged_at)  # type: ignore[arg-type]
            raise AlreadyDone(
                f"Already acknowledged by {who.name if who else 'someone'} at {when}."
            )
        await session.refresh(loaded.incident)
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="incident.acknowledged",
            entity_type="incident",
            entity_id=loaded.incident.id,
            detail={"case": loaded.person.reference},
            at=ctx.now,
        )
        await refresh_card(session, ctx, loaded)
    ctx.wake_outbox()
    return f"Acknowledged {loaded.person.reference}. Thank you."


async def _authorised(ctx: Ctx, actor: StaffMember, incident_id: Any) -> _Loaded:
    async with ctx.db.read() as session:
        loaded = await _load(session, incident_id)
        _check_may_act(actor, loaded)
        return loaded


async def warning_form(ctx: Ctx, *, actor: StaffMember, incident_id: Any) -> FormSpec:
    loaded = await _authorised(ctx, actor, incident_id)
    return _warning_spec(ctx, loaded)


def _warning_spec(ctx: Ctx, loaded: _Loaded) -> FormSpec:
    return FormSpec(
        name=FormName.WARNING,
        title="Record a warning",
        submit="Record warning",
        intro=(
            f"*{loaded.person.reference}*: before any restriction, the person must be told "
            "what is wrong with their behaviour and how to change it (s6)."
        ),
        fields=[
            FieldSpec(
                id=WarningField.KIND,
                label="Kind of warning",
                kind="radio",
                options=[Choice(value=i.id, label=i.label) for i in cat.WARNING_KINDS],
            ),
            FieldSpec(id=WarningField.GIVEN_ON, label="Date given", kind="date"),
            FieldSpec(
                id=WarningField.BEHAVIOUR,
                label="What behaviour must change?",
                kind="textarea",
                max_length=MAX_BEHAVIOUR,
                hint="Say what was unacceptable and what they should do instead.",
            ),
        ],
        context={"incident_id": loaded.incident.id},
        values={WarningField.GIVEN_ON: ctx.now.astimezone(ctx.zone).date().isoformat()},
        timezone=ctx.policy.timezone,
    )


async def submit_warning(
    ctx: Ctx, *, actor: StaffMember, incident_id: Any, submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        loaded = await _load(session, incident_id)
        _check_may_act(actor, loaded)
        values = validate(_warning_spec(ctx, loaded), submitted)
        given_on: date = values[WarningField.GIVEN_ON]
        if given_on > ctx.now.astimezone(ctx.zone).date():
            raise FieldErrors({WarningField.GIVEN_ON: "This date is in the future."})
        warning = Warning(
            person_id=loaded.person.id,
            incident_id=loaded.incident.id,
            kind=values[WarningField.KIND],
            given_on=given_on,
            behaviour_to_change=values[WarningField.BEHAVIOUR],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        session.add(warning)
        loaded.person.last_activity_at = ctx.now
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="warning.recorded",
            entity_type="warning",
            entity_id=warning.id,
            detail={"case": loaded.person.reference, "kind": warning.kind},
            at=ctx.now,
        )
        note = (
            f"{cat.label(cat.WARNING_KINDS, warning.kind)} recorded for {loaded.person.reference}."
        )
        if warning.kind == "written":
            letter = _warning_letter(ctx, loaded, warning, actor)
            session.add(letter)
            await session.flush()
            await audit.record(
                session,
                actor=f"staff:{actor.id}",
                action="letter.created",
                entity_type="letter",
                entity_id=letter.id,
                detail={"case": loaded.person.reference, "kind": "warning"},
                at=ctx.now,
            )
            manager = await session.get(StaffMember, actor.id)
            assert manager is not None
            await notify.send(
                session,
                to=manager,
                template="letter_file",
                model={
                    "reference": loaded.person.reference,
                    "subject": letter.subject,
                    "filename": f"{loaded.person.reference}-warning-{given_on.isoformat()}.html",
                    "comment": "Here is the written warning letter to send. "
                    "It is also kept in the case file.",
                },
                kind="file",
                letter_id=letter.id,
                origin=manager,
            )
            note += " The letter is on its way to you as a file."
        await refresh_card(session, ctx, loaded)
    ctx.wake_outbox()
    return note


def _warning_letter(ctx: Ctx, loaded: _Loaded, warning: Warning, actor: StaffMember) -> Letter:
    behaviours = [
        {"section": group.section, "text": item.text}
        for bid in loaded.incident.behaviours
        for group, item in [cat.BEHAVIOURS[bid]]
    ]
    model = {
        "organisation": ctx.organisation.model_dump(),
        "date": ctx.now.astimezone(ctx.zone).strftime("%d %B %Y"),
        "reference": loaded.person.reference,
        "person_name": loaded.person.name,
        "occurred_on": loaded.incident.occurred_at.astimezone(ctx.zone).strftime("%d %B %Y"),
        "channel": cat.label(cat.CHANNELS, loaded.incident.channel).lower(),
        "behaviours": behaviours,
        "behaviour_to_change": warning.behaviour_to_change,
        "signatory": actor.name,
        "large_print": False,
    }
    subject, html, text = letters.render("warning", model)
    send_by = "letter" if loaded.incident.channel != "email" else "email"
    return Letter(
        person_id=loaded.person.id,
        kind="warning",
        send_by=send_by,
        subject=subject,
        html=html,
        text=text,
        warning_id=warning.id,
        created_by_id=actor.id,
        created_at=ctx.now,
    )


async def police_form(ctx: Ctx, *, actor: StaffMember, incident_id: Any) -> FormSpec:
    loaded = await _authorised(ctx, actor, incident_id)
    return _police_spec(ctx, loaded)


def _police_spec(ctx: Ctx, loaded: _Loaded) -> FormSpec:
    return FormSpec(
        name=FormName.POLICE_REFERRAL,
        title="Record police referral",
        submit="Record referral",
        intro=f"*{loaded.person.reference}*: record the report made to the police (s6).",
        fields=[
            FieldSpec(id=PoliceField.REFERRED_ON, label="Date reported", kind="date"),
            FieldSpec(
                id=PoliceField.REFERENCE,
                label="Police reference",
                kind="text",
                max_length=MAX_POLICE_REF,
                placeholder="e.g. the crime or incident number",
            ),
        ],
        context={"incident_id": loaded.incident.id},
        values={PoliceField.REFERRED_ON: ctx.now.astimezone(ctx.zone).date().isoformat()},
        timezone=ctx.policy.timezone,
    )


async def submit_police(
    ctx: Ctx, *, actor: StaffMember, incident_id: Any, submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        loaded = await _load(session, incident_id)
        _check_may_act(actor, loaded)
        values = validate(_police_spec(ctx, loaded), submitted)
        if values[PoliceField.REFERRED_ON] > ctx.now.astimezone(ctx.zone).date():
            raise FieldErrors({PoliceField.REFERRED_ON: "This date is in the future."})
        referral = PoliceReferral(
            person_id=loaded.person.id,
            incident_id=loaded.incident.id,
            referred_on=values[PoliceField.REFERRED_ON],
            police_reference=values[PoliceField.REFERENCE],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        session.add(referral)
        loaded.person.last_activity_at = ctx.now
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="police_referral.recorded",
            entity_type="police_referral",
            entity_id=referral.id,
            detail={"case": loaded.person.reference},
            at=ctx.now,
        )
        await refresh_card(session, ctx, loaded)
    ctx.wake_outbox()
    return f"Police referral recorded for {loaded.person.reference}."


POLICY = (
    carries(
        "6",
        "From the incident card the manager records a warning (a written one produces the "
        "letter saying what must change) or a police referral.",
        "tests/test_slack_actions.py::test_written_warning_stores_letter_and_uploads_it",
        "tests/test_slack_actions.py::test_verbal_warning_makes_no_letter",
        "tests/test_slack_actions.py::test_police_referral_is_recorded",
    ),
)
