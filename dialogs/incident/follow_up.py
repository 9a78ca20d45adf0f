"""What a manager does from the incident card: acknowledge, warn (s6), refer to police (s6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cards.forms import FormSpec
from cards.ids import FormName, PoliceField, WarningField
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs import letters
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, DomainError, FieldErrors, Forbidden, NotFound
from dialogs.incident import police
from dialogs.incident.card import card_key, card_model, follow_up_lines, recipients
from dialogs.incident.rules import Deciders, check_may_act, not_in_future
from dialogs.interactions import Click, Turn
from dialogs.kinds import AuditAction, LetterKind
from dialogs.strategy.rules import needs_large_print
from dialogs.validation import validate
from storage import incidents as incidents_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import Incident, Person, PoliceReferral, StaffMember, Warning
from storage.models.status import WarningKind

MAX_BEHAVIOUR = 1500
MAX_POLICE_REF = 100
WARNING = f.Head(FormName.WARNING, "Record a warning", "Record warning")
POLICE = f.Head(FormName.POLICE_REFERRAL, "Record police referral", "Record referral")
NOT_REFERRED = f.Head(FormName.POLICE_NOT_REFERRED, "Not reporting to police", "Record decision")
MAX_NOT_REFERRED = 1500


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


async def load_for(session: AsyncSession, actor: StaffMember, incident_id: Any) -> Loaded:
    """The incident, refused unless the actor may act on it (incident.rules.check_may_act)."""
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
        records=await follow_up_lines(uow.session, uow.ctx, incident),
        strategy=await strategies_repo.standing(uow.session, person_id=incident.person_id),
    )
    await uow.refresh_card(card_key(incident.id), model)


async def refresh_person_cards(uow: Change, person_id: int) -> None:
    """Every incident card about a person, after their strategy's standing changed: a
    card must not offer Propose while a proposal waits or a strategy is in force."""
    for incident in await incidents_repo.of_person(uow.session, person_id=person_id):
        await refresh_card(uow, await load(uow.session, incident.id))


async def acknowledge(turn: Turn, click: Click) -> str:
    """First acknowledgement wins; a second click is told who acknowledged and when."""
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        loaded = await load_for(uow.session, actor, click.value)
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


def _warning_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return WARNING.form(
        ctx,
        [
            f.pick(WarningField.KIND, "Kind of warning", cat.WARNING_KINDS, kind="radio"),
            f.day(WarningField.GIVEN_ON, "Date given"),
            f.textarea(
                WarningField.BEHAVIOUR,
                "What behaviour must change?",
                max_length=MAX_BEHAVIOUR,
                # A written warning prints this word for word to the person (issue 14:
                # letters say only what was written for them), so the form says so.
                hint=(
                    "Written to them, in plain words: a written warning prints this in "
                    "its letter. Say what was unacceptable and what they should do instead."
                ),
            ),
        ],
        intro=(
            f"*{loaded.person.reference}*: before any restriction, the person must be told "
            "what is wrong with their behaviour and how to change it (s6)."
        ),
        context={"incident_id": loaded.incident.id},
        values={WarningField.GIVEN_ON: ctx.today.isoformat()},
    )


def _police_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return POLICE.form(
        ctx,
        [
            f.day(PoliceField.REFERRED_ON, "Date reported"),
            f.text(
                PoliceField.REFERENCE,
                "Police reference",
                max_length=MAX_POLICE_REF,
                placeholder="For example, the crime or incident number",
            ),
        ],
        intro=f"*{loaded.person.reference}*: record the report made to the police (s6).",
        context={"incident_id": loaded.incident.id},
        values={PoliceField.REFERRED_ON: ctx.today.isoformat()},
    )


def _not_referred_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return NOT_REFERRED.form(
        ctx,
        [
            f.textarea(
                PoliceField.NOT_REFERRED_REASON,
                "Why is it not being reported to the police?",
                max_length=MAX_NOT_REFERRED,
                hint=(
                    "Kept on the case file with your name, and read by anyone reviewing the "
                    "case. It ends the reminders."
                ),
            )
        ],
        intro=(
            f"*{loaded.person.reference}*: physical violence was used or threatened, and the "
            "office always reports that to the police (s6). Record here why this one is not "
            "being reported."
        ),
        context={"incident_id": loaded.incident.id},
    )


Spec = Callable[[Ctx, Loaded], FormSpec]
Record = Callable[[Change, Loaded, dict[str, Any]], Awaitable[str]]


async def _open(turn: Turn, context: dict[str, Any], spec: Spec) -> FormSpec:
    async with turn.ctx.db.read() as session:
        loaded = await load_for(session, turn.actor, context.get("incident_id"))
        return spec(turn.ctx, loaded)


async def _follow_up(
    turn: Turn, context: dict[str, Any], submitted: dict[str, Any], spec: Spec, record: Record
) -> str:
    """Check a follow-up form against its incident, record it, and refresh the card."""
    async with change(turn.ctx, turn.actor) as uow:
        loaded = await load_for(uow.session, turn.actor, context.get("incident_id"))
        note = await record(uow, loaded, validate(spec(turn.ctx, loaded), submitted))
        loaded.person.last_activity_at = uow.now
        await refresh_card(uow, loaded)
    return note


async def warning_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await _open(turn, context, _warning_spec)


async def submit_warning(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await _follow_up(turn, context, values, _warning_spec, _warn)


async def police_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await _open(turn, context, _police_spec)


async def submit_police(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await _follow_up(turn, context, values, _police_spec, _refer)


async def not_referred_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        loaded = await load_for(session, turn.actor, context.get("incident_id"))
        await _check_may_decide_not(session, turn.actor, loaded)
        return _not_referred_spec(turn.ctx, loaded)


async def submit_not_referred(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await _follow_up(turn, context, values, _not_referred_spec, _not_referred)


async def _check_may_decide_not(session: AsyncSession, actor: StaffMember, loaded: Loaded) -> None:
    """Only an authoriser, and only while the referral is outstanding."""
    if not police.may_decide_not_to_refer(actor, loaded.incident):
        raise Forbidden(police.ONLY_AUTHORISERS)
    if not loaded.incident.violence:
        raise DomainError("No police report is required for this incident.")
    if police.decided_not_to_refer(loaded.incident):
        who = await session.get(StaffMember, loaded.incident.police_not_referred_by_id)
        raise AlreadyDone(
            f"{who.name if who else 'An authoriser'} already recorded why this is not being "
            "reported to the police."
        )
    if await incidents_repo.referrals_on(session, incident_id=loaded.incident.id):
        raise AlreadyDone("A police referral is already recorded for this incident.")


async def _not_referred(uow: Change, loaded: Loaded, values: dict[str, Any]) -> str:
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    await _check_may_decide_not(uow.session, actor, loaded)
    incident = loaded.incident
    incident.police_not_referred_reason = values[PoliceField.NOT_REFERRED_REASON]
    incident.police_not_referred_by_id = actor.id
    incident.police_not_referred_at = uow.now
    await uow.audit(AuditAction.POLICE_NOT_REFERRED, incident, case=loaded.person.reference)
    return (
        f"Recorded for {loaded.person.reference}: not reported to the police, with your "
        "reason. The reminders have stopped."
    )


async def _warn(uow: Change, loaded: Loaded, values: dict[str, Any]) -> str:
    if errors := not_in_future(values[WarningField.GIVEN_ON], uow.ctx.today, WarningField.GIVEN_ON):
        raise FieldErrors(errors)
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    warning = Warning(
        person_id=loaded.person.id,
        incident_id=loaded.incident.id,
        kind=values[WarningField.KIND],
        given_on=values[WarningField.GIVEN_ON],
        behaviour_to_change=values[WarningField.BEHAVIOUR],
        recorded_by_id=actor.id,
        created_at=uow.now,
    )
    uow.add(warning)
    await uow.audit(
        AuditAction.WARNING_RECORDED, warning, case=loaded.person.reference, kind=warning.kind
    )
    note = f"{cat.label(cat.WARNING_KINDS, warning.kind)} recorded for {loaded.person.reference}."
    if warning.kind == WarningKind.WRITTEN:
        await _warning_letter(uow, loaded, warning, actor)
        note += " The letter is on its way to you as a file."
    return note


async def _refer(uow: Change, loaded: Loaded, values: dict[str, Any]) -> str:
    day = values[PoliceField.REFERRED_ON]
    if errors := not_in_future(day, uow.ctx.today, PoliceField.REFERRED_ON):
        raise FieldErrors(errors)
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    referral = PoliceReferral(
        person_id=loaded.person.id,
        incident_id=loaded.incident.id,
        referred_on=day,
        police_reference=values[PoliceField.REFERENCE],
        recorded_by_id=actor.id,
        created_at=uow.now,
    )
    uow.add(referral)
    await uow.audit(AuditAction.POLICE_REFERRAL_RECORDED, referral, case=loaded.person.reference)
    return f"Police referral recorded for {loaded.person.reference}."


async def _warning_letter(
    uow: Change, loaded: Loaded, warning: Warning, actor: StaffMember
) -> None:
    ctx = uow.ctx
    behaviours = [
        {
            "section": cat.BEHAVIOURS[bid][0].section,
            "text": cat.behaviour_text(bid, loaded.incident.other_behaviour),
        }
        for bid in loaded.incident.behaviours
    ]
    model = {
        **letters.heading(ctx, loaded.person, actor),
        "occurred_on": loaded.incident.occurred_at.astimezone(ctx.zone).strftime("%d %B %Y"),
        "channel": cat.label(cat.CHANNELS, loaded.incident.channel).lower(),
        "behaviours": behaviours,
        "behaviour_to_change": warning.behaviour_to_change,
        # s5: in large print when their recorded needs ask for it, as a strategy letter is.
        "large_print": needs_large_print(
            loaded.person.additional_needs or "", loaded.person.reasonable_adjustments or ""
        ),
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
