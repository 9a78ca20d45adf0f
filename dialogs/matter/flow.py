"""New matters (s7.2): "any new issues ... will be dealt with in the normal way".

A contact that raises a new matter (a new complaint) opens one here, its own item on the
case: never a breach, and not lost in the contact log. It stays open, on /case, until
someone records how it was dealt with. Opening is the contact log's (`opened`); closing
is a form from /case, audited.
"""

from __future__ import annotations

from typing import Any

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import MatterField as F
from dialogs import fields as f
from dialogs import letters
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, DomainError, FieldErrors, NotFound
from dialogs.incident import follow_up
from dialogs.incident.follow_up import Loaded
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction, LetterKind
from dialogs.office import OtherBody
from dialogs.validation import validate
from storage import monitoring as monitoring_repo
from storage import people as people_repo
from storage.db import AsyncSession
from storage.models import ContactLog, Matter, Person, StaffMember

MAX_OUTCOME = 1500
CLOSE = f.Head(FormName.MATTER_CLOSE, "Close a matter", "Close matter")
NOT_OURS = f.Head(FormName.INCIDENT_NOT_OURS, "Not ours to handle", "Send the letter")

NO_BODIES = (
    "No other bodies are listed for signposting: an administrator adds them to "
    "[[organisation.other_bodies]] (s1)."
)


async def opened(uow: Change, who: Person, entry: ContactLog) -> Matter:
    """The new matter a logged contact raised, open, audited."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    await uow.flush()
    matter = Matter(
        person_id=who.id,
        contact_log_id=entry.id,
        summary=entry.summary,
        raised_at=entry.occurred_at,
        recorded_by_id=actor.id,
        created_at=uow.now,
    )
    uow.add(matter)
    await uow.audit(AuditAction.MATTER_OPENED, matter, case=who.reference, contact=entry.id)
    return matter


async def _open_matter(session: AsyncSession, matter_id: Any) -> tuple[Matter, Person]:
    matter = await monitoring_repo.matter(session, matter_id=matter_id)
    if matter is None:
        raise NotFound("That matter could not be found.")
    who = await people_repo.get_live(session, person_id=matter.person_id)
    if who is None:
        raise NotFound("That matter could not be found.")
    if matter.closed_at is not None:
        raise AlreadyDone("That matter is already closed.")
    return matter, who


HOW = (
    Choice(value="dealt_with", label="We dealt with it"),
    Choice(value="not_ours", label="Not ours to handle: another body deals with it (s1)"),
)
MAX_LETTER_SAYS = 300


def _bodies(ctx: Ctx) -> list[Choice]:
    """The bodies a matter can be signposted to, by their place in the configuration."""
    return [
        Choice(value=str(i), label=b.name[:75]) for i, b in enumerate(ctx.organisation.other_bodies)
    ]


def _sentence(prefix: str, rest: str) -> str:
    said = prefix + rest
    return said[:1].upper() + said[1:]


def _signpost_fields(ctx: Ctx, *, prefix: str = "", required: bool = True) -> list[FieldSpec]:
    """Which body, and what the letter says their matter was about: asked by both ways a
    matter is closed as not ours (a new matter from /case, a report from its card)."""
    return [
        f.pick(
            F.BODY,
            _sentence(prefix, "which body deals with it?"),
            _bodies(ctx),
            required=required,
            hint="The letter tells them, with how to reach it (organisation.other_bodies).",
        ),
        f.text(
            F.LETTER_SAYS,
            _sentence(prefix, "what the letter says their matter was about"),
            max_length=MAX_LETTER_SAYS,
            required=required,
            placeholder="For example: your complaint about a police officer's conduct",
            hint=(
                "Written to them: the letter reads \u201cThank you for contacting us "
                "about \u2026\u201d."
            ),
        ),
    ]


def _spec(ctx: Ctx, matter: Matter, who: Person) -> FormSpec:
    bodies = _bodies(ctx)
    fields = [
        f.pick(F.HOW, "How was it closed?", list(HOW) if bodies else list(HOW[:1]), kind="radio"),
    ]
    if bodies:
        fields += _signpost_fields(ctx, prefix="If not ours, ", required=False)
    fields.append(
        f.textarea(
            F.OUTCOME,
            "How was it dealt with?",
            max_length=MAX_OUTCOME,
            hint="Kept on the case file. A new matter is dealt with in the normal way (s7.2).",
        )
    )
    return CLOSE.form(
        ctx,
        fields,
        intro=(
            f"*{who.reference}*: the new matter they raised on "
            f"{ctx.local(matter.raised_at)}: \u201c{matter.summary[:300]}\u201d"
            + (
                ""
                if bodies
                else " (To signpost a matter the office does not handle (s1), an administrator "
                "lists the bodies that do in organisation.other_bodies.)"
            )
        ),
        context={"matter_id": matter.id},
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        matter, who = await _open_matter(session, context.get("matter_id"))
        return _spec(turn.ctx, matter, who)


def _errors(values: dict[str, Any]) -> dict[str, str]:
    if values.get(F.HOW) != "not_ours":
        return {}
    errors = {}
    if not values.get(F.BODY):
        errors[F.BODY] = "Choose the body that deals with it."
    if not (values.get(F.LETTER_SAYS) or "").strip():
        errors[F.LETTER_SAYS] = "Say what their matter was about, as the letter will."
    return errors


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        matter, who = await _open_matter(uow.session, context.get("matter_id"))
        values = validate(_spec(ctx, matter, who), submitted)
        if errors := _errors(values):
            raise FieldErrors(errors)
        matter.outcome = values[F.OUTCOME]
        matter.closed_at = uow.now
        matter.closed_by_id = actor.id
        body = None
        if values[F.HOW] == "not_ours":
            body = ctx.organisation.other_bodies[int(values[F.BODY])]
            matter.signposted_to = body.name
        await uow.audit(
            AuditAction.MATTER_CLOSED, matter, case=who.reference, signposted=body is not None
        )
        if body is not None:
            await _signpost(uow, who, actor, body, values[F.LETTER_SAYS])
    if body is not None:
        return (
            f"Matter closed for *{who.reference}*. The letter pointing them to {body.name} "
            "(s1) is on its way to you as a file, to send."
        )
    return f"Matter closed for *{who.reference}*, with how it was dealt with."


def _incident_spec(ctx: Ctx, loaded: Loaded) -> FormSpec:
    return NOT_OURS.form(
        ctx,
        [
            *_signpost_fields(ctx),
            f.textarea(F.OUTCOME, "Why it is not ours to handle", max_length=MAX_OUTCOME),
        ],
        intro=(
            f"*{loaded.person.reference}*: the matter behind this report is one the office "
            "cannot deal with (s1). They are told by letter who can; the report stays on "
            "file as it is."
        ),
        context={"incident_id": loaded.incident.id},
    )


async def _loaded_for(session: AsyncSession, actor: StaffMember, incident_id: Any) -> Loaded:
    loaded = await follow_up.load_for(session, actor, incident_id)
    if loaded.person.anonymised_at is not None:
        raise NotFound("That incident could not be found.")
    return loaded


async def incident_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """From the manager's card: the report's matter is not the office's (s1)."""
    if not turn.ctx.organisation.other_bodies:
        raise DomainError(NO_BODIES)
    async with turn.ctx.db.read() as session:
        loaded = await _loaded_for(session, turn.actor, context.get("incident_id"))
        return _incident_spec(turn.ctx, loaded)


async def incident_submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    if not ctx.organisation.other_bodies:
        raise DomainError(NO_BODIES)
    async with change(ctx, actor) as uow:
        loaded = await _loaded_for(uow.session, actor, context.get("incident_id"))
        values = validate(_incident_spec(ctx, loaded), submitted)
        body = ctx.organisation.other_bodies[int(values[F.BODY])]
        who, incident = loaded.person, loaded.incident
        matter = Matter(
            person_id=who.id,
            incident_id=incident.id,
            summary=incident.what_happened,
            raised_at=incident.occurred_at,
            recorded_by_id=actor.id,
            closed_at=uow.now,
            closed_by_id=actor.id,
            outcome=values[F.OUTCOME],
            signposted_to=body.name,
            created_at=uow.now,
        )
        uow.add(matter)
        await uow.audit(AuditAction.MATTER_CLOSED, matter, case=who.reference, signposted=True)
        await _signpost(uow, who, actor, body, values[F.LETTER_SAYS])
        await follow_up.refresh_card(uow, loaded)
    return (
        f"Recorded for *{who.reference}*: not ours to handle (s1). The letter pointing them "
        f"to {body.name} is on its way to you as a file, to send."
    )


async def _signpost(
    uow: Change, who: Person, actor: StaffMember, body: OtherBody, matter_words: str
) -> None:
    """s1: "the OPCC will notify the member of the public and will provide signposting
    information": the letter, kept with the case and handed to whoever closed it."""
    model = {
        **letters.heading(uow.ctx, who, actor),
        "matter_words": matter_words,
        "body": body.model_dump(),
    }
    await letters.keep(
        uow,
        kind=LetterKind.SIGNPOST,
        model=model,
        person=who,
        author=actor,
        deliver_to=actor,
        filename=f"{who.reference}-signpost.html",
        comment="Here is the letter pointing them to the body that deals with their matter (s1).",
    )


async def open_ones(session: AsyncSession, ctx: Ctx, person_id: int) -> list[dict[str, Any]]:
    """The person's open matters, oldest first, for /case."""
    return [
        {"id": m.id, "raised": ctx.local(m.raised_at), "summary": m.summary}
        for m in await monitoring_repo.open_matters(session, person_id=person_id)
    ]
