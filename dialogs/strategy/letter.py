"""What every letter about a strategy says, in the same words as the strategy letter."""

from __future__ import annotations

from typing import Any

from dialogs import letters
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.kinds import LetterKind
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


async def keep_letter(
    uow: Change,
    kind: LetterKind,
    strategy: ContactStrategy,
    who: Person,
    *,
    deliver_to: StaffMember,
    about: str,
    names: dict[int, str],
    extra: dict[str, Any] | None = None,
    filename: str | None = None,
    enclosing: str = "",
) -> None:
    """A letter about a strategy, signed by whoever made the change, kept with the case and
    handed to `deliver_to` to send; `about` opens the note that goes with it."""
    signatory = uow.actor
    assert isinstance(signatory, StaffMember)
    model = {**letter_model(uow.ctx, strategy, who, signatory, names), **(extra or {})}
    await letters.keep(
        uow,
        kind=kind,
        model=model,
        person=who,
        author=signatory,
        deliver_to=deliver_to,
        send_by=strategy.letter_channel or "letter",
        filename=filename,
        strategy=strategy,
        comment=f"{about} Send it by {model['send_by']}{enclosing}. It is kept in the case file.",
    )
