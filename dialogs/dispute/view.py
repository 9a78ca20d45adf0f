"""The card the person considering a dispute decides from, and who took part (s7.3)."""

from __future__ import annotations

from typing import Any

from dialogs import catalogue as cat
from dialogs.context import Ctx
from dialogs.dispute.rules import Assignment, assign, took_part, why
from dialogs.strategy.view import restrictions
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import ContactStrategy, Dispute, Person, StaffMember


def card_key(dispute_id: int) -> str:
    return f"dispute:{dispute_id}"


async def involved(session: AsyncSession, strategy: ContactStrategy) -> set[int]:
    """Everyone who took part in the decision to restrict contact: the proposal, the
    approval, and any review that continued or altered it (s7.3)."""
    return took_part(await strategies_repo.decision_makers(session, strategy_id=strategy.id))


async def assignment(session: AsyncSession, strategy: ContactStrategy) -> Assignment:
    """The one person who should consider a dispute of `strategy`, from the directory."""
    return assign(
        await staff_repo.with_role(session, role="chief_executive"),
        await staff_repo.with_role(session, role="authoriser"),
        await involved(session, strategy),
    )


async def card_model(session: AsyncSession, ctx: Ctx, dispute: Dispute) -> dict[str, Any]:
    """The decider's card; the same model after the decision shows the outcome."""
    strategy = await session.get(ContactStrategy, dispute.strategy_id)
    assert strategy is not None
    who = await session.get(Person, strategy.person_id)
    assert who is not None
    names = await staff_repo.names(session)
    ces = await staff_repo.with_role(session, role="chief_executive")
    took_part = await involved(session, strategy)
    decider = await session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
    approvers = await strategies_repo.approvers(session, strategy_id=strategy.id)
    decision = None
    if dispute.outcome is not None:
        decision = {
            "outcome": dispute.outcome,
            "label": cat.label(cat.DISPUTE_OUTCOMES, dispute.outcome),
            "by": names.get(dispute.decider_id or 0, "someone"),
            "at": ctx.local(dispute.decided_at) if dispute.decided_at else "",
            "reasons": dispute.outcome_reasons,
        }
    involved_ces = [c for c in ces if c.id in took_part]
    return {
        "dispute_id": dispute.id,
        "reference": who.reference,
        "person_name": who.name,
        "received_on": f"{dispute.received_on:%d %b %Y}",
        "grounds": dispute.grounds,
        "recorded_by": names.get(dispute.recorded_by_id, "someone"),
        "restrictions": restrictions(strategy, names),
        "reasons": strategy.reasons,
        "proposed_by": names.get(strategy.proposer_id, "someone"),
        "authorised_by": [names.get(a, "someone") for a in approvers],
        "decider": names.get(dispute.decider_id or 0, "someone"),
        "why": why(decider, involved_ces, bool(ces)) if decider else "",
        "decision": decision,
    }
