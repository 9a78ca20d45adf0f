"""How strategies and authorisation requests read on cards and in /case.

Kept apart from the rules so the card an authoriser sees, the /case summary and the
letter describe a restriction in the same words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import catalogue as cat
from dialogs.context import Ctx
from storage.models import (
    Authorisation,
    ContactStrategy,
    Incident,
    Person,
    Restriction,
    SharingRequest,
    StaffMember,
    Warning,
)


def card_key(authorisation_id: int) -> str:
    return f"authorisation:{authorisation_id}"


def describe_restriction(r: Restriction, names: dict[int, str]) -> str:
    if r.kind == "call_limit":
        return f"Phone calls limited to {r.call_minutes} minutes"
    if r.kind == "single_method":
        return f"Contact only by {cat.label(cat.CONTACT_METHODS, r.contact_method or '').lower()}"
    if r.kind == "dedicated_email":
        return f"Emails only to {r.email_address}, which is diverted to the case team"
    if r.kind == "block_channels":
        labels = [
            cat.label(cat.CONTACT_METHODS, c) if c != "social_media" else "Social media"
            for c in r.blocked_channels
        ]
        return "Blocked: " + ", ".join(labels).lower()
    if r.kind == "advocate_only":
        return f"Contact only through their advocate, {r.advocate_name} ({r.advocate_contact})"
    if r.kind == "spoc":
        return f"Single point of contact: {names.get(r.spoc_staff_id or 0, 'a member of staff')}"
    return r.kind


async def staff_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(StaffMember.id, StaffMember.name))
    return {i: n for i, n in rows.all()}


def routes_left(strategy: ContactStrategy) -> list[str]:
    from dialogs.strategy import open_routes

    kinds = [r.kind for r in strategy.restrictions]
    method = next(
        (r.contact_method for r in strategy.restrictions if r.kind == "single_method"), None
    )
    blocked = next(
        (r.blocked_channels for r in strategy.restrictions if r.kind == "block_channels"), []
    )
    return [m.label for m in cat.CONTACT_METHODS if m.id in open_routes(kinds, method, blocked)]


async def strategy_summary(
    session: AsyncSession, ctx: Ctx, strategy: ContactStrategy, names: dict[int, str] | None
) -> dict[str, Any]:
    names = names if names is not None else await staff_names(session)
    spoc = next((r.spoc_staff_id for r in strategy.restrictions if r.kind == "spoc"), None)
    return {
        "id": strategy.id,
        "status": strategy.status,
        "restrictions": [describe_restriction(r, names) for r in strategy.restrictions],
        "spoc": names.get(spoc) if spoc else None,
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "routes": routes_left(strategy),
    }


async def authorisation_card_model(
    session: AsyncSession, ctx: Ctx, authorisation: Authorisation
) -> dict[str, Any]:
    """Everything an authoriser needs to decide, and the decision once made."""
    names = await staff_names(session)
    decision = None
    if authorisation.status != "pending":
        decision = {
            "status": authorisation.status,
            "label": {
                "approved": "Approved",
                "denied": "Denied",
                "changes_requested": "Changes requested",
            }[authorisation.status],
            "by": names.get(authorisation.decided_by_id or 0, "someone"),
            "at": ctx.local(authorisation.decided_at) if authorisation.decided_at else "",
            "reason": authorisation.decision_reason,
        }
    base = {
        "authorisation_id": authorisation.id,
        "kind": authorisation.kind,
        "requested_by": names.get(authorisation.requested_by_id, "someone"),
        "requested_at": ctx.local(authorisation.created_at),
        "decision": decision,
    }
    if authorisation.kind == "sharing":
        request = await session.get(SharingRequest, authorisation.sharing_request_id)
        assert request is not None
        person = await session.get(Person, request.person_id)
        assert person is not None
        return {
            **base,
            "reference": person.reference,
            "person_name": person.name,
            "agency": request.agency,
            "what": request.what,
            "reason": cat.label(cat.SHARING_REASONS, request.reason_kind),
            "explanation": request.reason_detail,
            "consent": request.consent,
        }
    strategy = await session.get(ContactStrategy, authorisation.strategy_id)
    assert strategy is not None
    person = await session.get(Person, strategy.person_id)
    assert person is not None
    return {
        **base,
        "reference": person.reference,
        "person_name": person.name,
        "restrictions": [describe_restriction(r, names) for r in strategy.restrictions],
        "routes": routes_left(strategy),
        "reasons": strategy.reasons,
        "criteria": [
            {"text": c.label, "note": strategy.criteria.get(c.id, "")} for c in cat.CRITERIA
        ],
        "adjustments": strategy.adjustments_considered,
        "needs": person.additional_needs,
        "unusable": [cat.label(cat.CONTACT_METHODS, m) for m in strategy.unusable_methods],
        "warning": (
            "A warning was given first (s6)."
            if strategy.warning_given
            else f"No warning was given first: {strategy.no_warning_reason}"
        ),
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "letter": (
            f"By {cat.label(cat.CONTACT_METHODS, strategy.letter_channel or 'letter').lower()}"
            f"{', in large print' if strategy.large_print else ''}"
        ),
        "revision": strategy.revision_of_id is not None,
        "history": await history(session, ctx, person, exclude_strategy=strategy.id),
    }


async def history(
    session: AsyncSession, ctx: Ctx, person: Person, *, exclude_strategy: int | None = None
) -> dict[str, list[str]]:
    incidents = (
        await session.execute(
            select(Incident).where(Incident.person_id == person.id).order_by(Incident.occurred_at)
        )
    ).scalars()
    warnings = (
        await session.execute(
            select(Warning).where(Warning.person_id == person.id).order_by(Warning.given_on)
        )
    ).scalars()
    strategies = (
        await session.execute(
            select(ContactStrategy)
            .where(ContactStrategy.person_id == person.id)
            .order_by(ContactStrategy.created_at)
        )
    ).scalars()
    return {
        "incidents": [
            f"{i.occurred_at.astimezone(ctx.zone):%d %b %Y}, "
            f"{cat.label(cat.CHANNELS, i.channel).lower()}: "
            + "; ".join(cat.BEHAVIOURS[b][1].label for b in i.behaviours)
            + (" (violence used or threatened)" if i.violence else "")
            for i in incidents
        ],
        "warnings": [
            f"{w.given_on:%d %b %Y}: {'written' if w.kind == 'written' else 'verbal'} warning"
            for w in warnings
        ],
        "strategies": [
            f"{s.created_at.astimezone(ctx.zone):%d %b %Y}: {s.status}"
            for s in strategies
            if s.id != exclude_strategy
        ],
    }
