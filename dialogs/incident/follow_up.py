"""What a manager does from the incident card: acknowledge, warn (s6), refer to police (s6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import FormSpec
from cards.ids import FormName, PoliceField, WarningField
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs import letters
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, FieldErrors, NotFound
from dialogs.incident.card import card_key, card_model, follow_up_lines, recipients
from dialogs.incident.rules import Deciders, check_may_act, not_in_future
from dialogs.kinds import AuditAction, LetterKind
from dialogs.validation import validate
from storage import incidents as incidents_repo
from storage.models import Incident, Person, PoliceReferral, StaffMember, Warning
from storage.models.status import WarningKind

MAX_BEHAVIOUR = 1500
MAX_POLICE_REF = 100


@dataclass
class Loaded:
    """An incident with the people its card is about and for."""

    incident: Incident
    person: Person
    reporter: StaffMember
    deciders: Deciders


async def load(session: AsyncSession, incident_id: Any) -> Loaded:
    incident = await incidents_repo.get(session, incident_id=incident_id)
    if incident is None:
        raise NotFound("That incident could not be found.")
    person = await session.get(Person, incident.person_id)
    reporter = await session.get(StaffMember, incident.reporter_id)
    assert person is not None and reporter is not None
    return Loaded(incident, person, reporter, await recipients(session, reporter=reporter))


async def _load_for(session: AsyncSession, actor: StaffMember, incident_id: Any) -> Loaded:
    loaded = await load(session, incident_id)
    check_may_act(actor, loaded.reporter.id, loaded.deciders)
    return loaded


async def refresh_card(uow: Change, loaded: Loaded) -> None:
    """Bring every copy of the manager's card up to date with what has been done."""
    incident = loaded.incident
    acknowledged_by = (
        await uow.session.get(StaffMember, incident.acknowledged_by_id)
        if incident.acknowledged_by_id
        else None
    )
    model = card_model(
        uow.ctx,
        incident,
        loaded.person,
        loaded.reporter,
        loaded.deciders,
        acknowledged_by=acknowledged_by,
        records=await follow_up_lines(uow.session, incident),
    )
    await uow.refresh_card(card_key(incident.id), model)


async def acknowledge(ctx: Ctx, *, actor: StaffMember, incident_id: Any) -> str:
    """First acknowledgement wins; a second click is told who acknowledged and when."""
    async with change(ctx, actor) as uow:
        loaded = await _load_for(uow.session, actor, incident_id)
        if not await incidents_repo.acknowledge(
            uow.session, incident=loaded.incident, by=actor, at=ctx.now
        ):
            who = await uow.session.get(StaffMember, loaded.incident.acknowledged_by_id)
            when = ctx.local(loaded.incident.acknowledged_at)  # type: ignore[arg-type]
            raise AlreadyDone(
                f"Already acknowledged by {who.name if who else 'someone'} at {when}."
            )
        await uow.audit(
            AuditAction.INCIDENT_ACKNOWLEDGED, loaded.incident, case=loaded.person.reference
        )
        await refresh_card(uow, loaded)
    return f"Acknowledged {loaded.person.reference}. Thank you."


def _today(ctx: Ctx) -> str:
    return ctx.now.astimezone(ctx.zone).date().isoformat()


def _warning_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return FormSpec(
        name=FormName.WARNING,
        title="Record a warning",
        submit="Record warning",
        intro=(
            f"*{loaded.person.reference}*: before any restriction, the person must be told "
            "what is wrong with their behaviour and how to change it (s6)."
        ),
        fields=[
            f.pick(WarningField.KIND, "Kind of warning", cat.WARNING_KINDS, kind="radio"),
            f.day(WarningField.GIVEN_ON, "Date given"),
            f.textarea(
                WarningField.BEHAVIOUR,
                "What behaviour must change?",
                max_length=MAX_BEHAVIOUR,
                hint="Say what was unacceptable and what they should do instead.",
            ),
        ],
        context={"incident_id": loaded.incident.id},
        values={WarningField.GIVEN_ON: _today(ctx)},
        timezone=ctx.policy.timezone,
    )


def _police_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return FormSpec(
        name=FormName.POLICE_REFERRAL,
        title="Record police referral",
        submit="Record referral",
        intro=f"*{loaded.person.reference}*: record the report made to the police (s6).",
        fields=[
            f.day(PoliceField.REFERRED_ON, "Date reported"),
            f.text(
                PoliceField.REFERENCE,
                "Police reference",
                max_length=MAX_POLICE_REF,
                placeholder="e.g. the crime or incident number",
            ),
        ],
        context={"incident_id": loaded.incident.id},
        values={PoliceField.REFERRED_ON: _today(ctx)},
        timezone=ctx.policy.timezone,
    )


async def warning_form(ctx: Ctx, actor: StaffMember, incident_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        return _warning_spec(ctx, await _load_for(session, actor, incident_id))


async def police_form(ctx: Ctx, actor: StaffMember, incident_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        return _police_spec(ctx, await _load_for(session, actor, incident_id))


async def submit_warning(
    ctx: Ctx, *, actor: StaffMember, incident_id: Any, submitted: dict[str, Any]
) -> str:
    async with change(ctx, actor) as uow:
        loaded = await _load_for(uow.session, actor, incident_id)
        values = validate(_warning_spec(ctx, loaded), submitted)
        today = ctx.now.astimezone(ctx.zone).date()
        if errors := not_in_future(values[WarningField.GIVEN_ON], today, WarningField.GIVEN_ON):
            raise FieldErrors(errors)
        warning = Warning(
            person_id=loaded.person.id,
            incident_id=loaded.incident.id,
            kind=values[WarningField.KIND],
            given_on=values[WarningField.GIVEN_ON],
            behaviour_to_change=values[WarningField.BEHAVIOUR],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        uow.add(warning)
        loaded.person.last_activity_at = ctx.now
        await uow.audit(
            AuditAction.WARNING_RECORDED, warning, case=loaded.person.reference, kind=warning.kind
        )
        note = (
            f"{cat.label(cat.WARNING_KINDS, warning.kind)} recorded for {loaded.person.reference}."
        )
        if warning.kind == WarningKind.WRITTEN:
            await _warning_letter(uow, loaded, warning, actor)
            note += " The letter is on its way to you as a file."
        await refresh_card(uow, loaded)
    return note


async def _warning_letter(
    uow: Change, loaded: Loaded, warning: Warning, actor: StaffMember
) -> None:
    ctx = uow.ctx
    behaviours = [
        {"section": group.section, "text": item.text}
        for bid in loaded.incident.behaviours
        for group, item in [cat.BEHAVIOURS[bid]]
    ]
    model = {
        "organisation": ctx.organisation.model_dump(),
        "date": letters.letter_date(ctx),
        "reference": loaded.person.reference,
        "person_name": loaded.person.name,
        "occurred_on": loaded.incident.occurred_at.astimezone(ctx.zone).strftime("%d %B %Y"),
        "channel": cat.label(cat.CHANNELS, loaded.incident.channel).lower(),
        "behaviours": behaviours,
        "behaviour_to_change": warning.behaviour_to_change,
        "signatory": actor.name,
        "large_print": False,
    }
    await letters.keep(
        uow,
        kind=LetterKind.WARNING,
        model=model,
        person=loaded.person,
        author=actor,
        deliver_to=actor,
        send_by="letter" if loaded.incident.channel != "email" else "email",
        filename=f"{loaded.person.reference}-warning-{warning.given_on.isoformat()}.html",
        comment="Here is the written warning letter to send. It is also kept in the case file.",
        warning=warning,
    )


async def submit_police(
    ctx: Ctx, *, actor: StaffMember, incident_id: Any, submitted: dict[str, Any]
) -> str:
    async with change(ctx, actor) as uow:
        loaded = await _load_for(uow.session, actor, incident_id)
        values = validate(_police_spec(ctx, loaded), submitted)
        today = ctx.now.astimezone(ctx.zone).date()
        if errors := not_in_future(values[PoliceField.REFERRED_ON], today, PoliceField.REFERRED_ON):
            raise FieldErrors(errors)
        referral = PoliceReferral(
            person_id=loaded.person.id,
            incident_id=loaded.incident.id,
            referred_on=values[PoliceField.REFERRED_ON],
            police_reference=values[PoliceField.REFERENCE],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        uow.add(referral)
        loaded.person.last_activity_at = ctx.now
        await uow.audit(
            AuditAction.POLICE_REFERRAL_RECORDED, referral, case=loaded.person.reference
        )
        await refresh_card(uow, loaded)
    return f"Police referral recorded for {loaded.person.reference}."
