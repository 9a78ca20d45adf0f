"""What every letter about a strategy says, in the same words as the strategy letter."""

from __future__ import annotations

from typing import Any

from dialogs.context import Ctx
from dialogs.letters import letter_date
from dialogs.strategy.view import letter_channel, restrictions, routes_left
from storage.models import ContactStrategy, Person, StaffMember


def letter_model(
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    signatory: StaffMember,
    names: dict[int, str],
) -> dict[str, Any]:
    return {
        "organisation": ctx.organisation.model_dump(),
        "date": letter_date(ctx),
        "reference": who.reference,
        "person_name": who.name,
        "reasons": strategy.reasons,
        "restrictions": restrictions(strategy, names),
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
        "send_by": letter_channel(strategy),
        "signatory": signatory.name,
        "large_print": strategy.large_print,
    }
