"""What the monitoring flows share (s7.1-s7.3): the strategy in force and who looks after it.

Breaches, reviews, the contact log and disputes all start from "the strategy in force
for this person", and all end in someone being told and, often, a letter that is kept
with the case and handed to a member of staff to send. Those steps live here once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards import letters
from cards.forms import FormSpec
from dialogs import case_file, notify
from dialogs import catalogue as cat
from dialogs.context import Ctx
from dialogs.errors import DomainError, NotFound
from dialogs.strategy_view import describe_restriction, routes_left
from storage import audit
from storage import staff as staff_repo
from storage.models import ContactStrategy, Letter, Person, StaffMember

MAX_QUERY = 100


def blank_answers(form: FormSpec, values: dict[str, Any]) -> dict[str, str]:
    """Required text that was only spaces: validation strips it to "" and lets it through,
    but "reasons required" (s7) means words, not whitespace."""
    return {
        f.id: "Please answer this question."
        for f in form.fields
        if f.required and f.kind in ("text", "textarea") and values.get(f.id) == ""
    }


def today(ctx: Ctx) -> date:
    """The office's date now: what "in the future" means to the people using the forms."""
    return ctx.now.astimezone(ctx.zone).date()


async def person(session: AsyncSession, person_id: Any) -> Person:
    found = await session.get(Person, person_id) if isinstance(person_id, int) else None
    if found is None or found.anonymised_at is not None:
        raise NotFound("That person could not be found.")
    return found


async def find_person(session: AsyncSession, query: str, *, usage: str) -> Person:
    """Exactly one person for a typed reference or name, or a message saying why not."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        raise DomainError(f"Tell me who it is about: `{usage} SC-2026-00042`.")
    found = await case_file.find(session, query=query)
    if len(found) != 1:
        raise DomainError(
            f"No one on file matches '{query}'."
            if not found
            else f"'{query}' matches {len(found)} people; use their case reference."
        )
    return found[0]


async def active_strategy(session: AsyncSession, person_id: int) -> ContactStrategy | None:
    return (
        await session.execute(
            select(ContactStrategy)
            .where(ContactStrategy.person_id == person_id, ContactStrategy.status == "active")
            .order_by(ContactStrategy.activated_at.desc(), ContactStrategy.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def require_active(
    session: AsyncSession, person_id: Any, *, doing: str
) -> tuple[Person, ContactStrategy]:
    """The person and their strategy in force; `doing` finishes "there is nothing to ..."."""
    who = await person(session, person_id)
    strategy = await active_strategy(session, who.id)
    if strategy is None:
        raise DomainError(
            f"{who.reference} has no contact strategy in force, so there is nothing to {doing}."
        )
    return who, strategy


async def strategy_in_force(
    session: AsyncSession, strategy_id: Any, *, lock: bool = False
) -> tuple[ContactStrategy, Person]:
    """A strategy a form names, refused unless it is still in force.

    With `lock`, the row is held until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite already has one writer), so two people deciding at once are decided in turn.
    """
    strategy = None
    if isinstance(strategy_id, int):
        stmt = select(ContactStrategy).where(ContactStrategy.id == strategy_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        strategy = (await session.execute(stmt)).scalar_one_or_none()
    if strategy is None:
        raise NotFound("That contact strategy could not be found.")
    who = await person(session, strategy.person_id)
    if strategy.status != "active":
        raise DomainError(
            f"The contact strategy for {who.reference} is no longer in force "
            f"(it is {strategy.status}), so this cannot be recorded against it."
        )
    return strategy, who


def spoc_id(strategy: ContactStrategy) -> int | None:
    return next((r.spoc_staff_id for r in strategy.restrictions if r.kind == "spoc"), None)


async def guardians(session: AsyncSession, strategy: ContactStrategy) -> list[StaffMember]:
    """Who looks after a strategy: its proposer, its single point of contact, the authorisers."""
    people: dict[int, StaffMember] = {}
    for staff_id in (strategy.proposer_id, spoc_id(strategy)):
        member = await session.get(StaffMember, staff_id) if staff_id else None
        if member is not None and member.in_directory:
            people[member.id] = member
    for member in await staff_repo.with_role(session, role="authoriser"):
        people.setdefault(member.id, member)
    return list(people.values())


def letter_model(
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    signatory: StaffMember,
    names: dict[int, str],
) -> dict[str, Any]:
    """What every letter about a strategy says in the same words as the strategy letter."""
    return {
        "organisation": ctx.organisation.model_dump(),
        "date": ctx.now.astimezone(ctx.zone).strftime("%d %B %Y"),
        "reference": who.reference,
        "person_name": who.name,
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
        "in_force_since": (
            strategy.activated_at.astimezone(ctx.zone).strftime("%d %B %Y")
            if strategy.activated_at
            else None
        ),
        "send_by": cat.label(cat.CONTACT_METHODS, strategy.letter_channel or "letter").lower(),
        "signatory": signatory.name,
        "large_print": strategy.large_print,
    }


async def keep_letter(
    session: AsyncSession,
    ctx: Ctx,
    *,
    kind: str,
    model: dict[str, Any],
    who: Person,
    strategy: ContactStrategy,
    author: StaffMember,
    deliver_to: StaffMember,
    comment: str,
) -> Letter:
    """Render a letter, keep it with the case, audit it, and send it to staff as a file."""
    subject, html, text = letters.render(kind, model)
    letter = Letter(
        person_id=who.id,
        kind=kind,
        send_by=strategy.letter_channel or "letter",
        subject=subject,
        html=html,
        text=text,
        strategy_id=strategy.id,
        created_by_id=author.id,
        created_at=ctx.now,
    )
    session.add(letter)
    await session.flush()
    await audit.record(
        session,
        actor=f"staff:{author.id}",
        action="letter.created",
        entity_type="letter",
        entity_id=letter.id,
        detail={"case": who.reference, "kind": kind},
        at=ctx.now,
    )
    await notify.send(
        session,
        to=deliver_to,
        template="letter_file",
        model={
            "reference": who.reference,
            "subject": letter.subject,
            "filename": f"{who.reference}-{kind.replace('_', '-')}.html",
            "comment": comment,
        },
        kind="file",
        letter_id=letter.id,
        origin=author,
    )
    return letter
