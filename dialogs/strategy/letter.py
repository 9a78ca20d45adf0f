"""What every letter about a strategy says, in the same words as the strategy letter."""

from __future__ import annotations

from typing import Any

from dialogs import letters
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.kinds import LetterKind
from dialogs.letters import heading
from dialogs.strategy.rules import spoc_id
from dialogs.strategy.view import letter_channel, restrictions, routes_left
from storage.models import ContactStrategy, Person, StaffMember


def review_when(strategy: ContactStrategy) -> str:
    """When the letter says the review will be: counted from the day the arrangements start
    when the strategy has a review period and is not yet in force (notice before effect),
    else by its review date."""
    if strategy.review_after_days and strategy.activated_at is None:
        return f"within {strategy.review_after_days} days of the day they start"
    return f"by {strategy.review_date:%d %B %Y}"


def letter_model(
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    signatory: StaffMember,
    names: dict[int, str],
) -> dict[str, Any]:
    """What every letter about a strategy prints: the person-facing summary only (s7),
    never `strategy.reasons`, which are written for the case file."""
    spoc = spoc_id(strategy)
    return {
        **heading(ctx, who, signatory),
        "summary": strategy.public_summary or "",
        "restrictions": restrictions(strategy, names),
        "routes": routes_left(strategy),
        "spoc": names.get(spoc) if spoc else None,
        "advocate": next(
            (
                {"name": r.advocate_name, "contact": r.advocate_contact}
                for r in strategy.restrictions
                if r.kind == "advocate_only"
            ),
            None,
        ),
        "review_date": strategy.review_date.strftime("%d %B %Y"),
        "review_when": review_when(strategy),
        "takes_effect_on": (
            strategy.takes_effect_on.strftime("%d %B %Y") if strategy.takes_effect_on else None
        ),
        "in_force_since": (
            strategy.activated_at.astimezone(ctx.zone).strftime("%d %B %Y")
            if strategy.activated_at
            else None
        ),
        # An alteration after review (s7.1: "told about any changes") says it changes them.
        "altered": strategy.supersedes_id is not None,
        "send_by": letter_channel(strategy),
        "large_print": strategy.large_print,
    }


def enclosing(ctx: Ctx, kind: LetterKind) -> str:
    """What the note to the sender says goes in the envelope: what the letter says it
    encloses (dialogs.letters.enclosures, the one rule for it)."""
    enclosed = letters.enclosures(ctx.organisation, kind)
    return "".join(f', with a printed copy of the policy "{enc.title}"' for enc in enclosed)


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
        comment=(
            f"{about} Send it by {model['send_by']}{enclosing(uow.ctx, kind)}. "
            "It is kept in the case file."
        ),
    )
