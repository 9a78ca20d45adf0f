"""Who may review a strategy, and who may continue one (s7, s7.1): pure functions.

Who may review: the people the review reminder goes to, that is the strategy's proposer
(while still a manager or authoriser) and the authorisers. Continuing keeps contact
restricted for up to another year, which is itself a decision to restrict contact, so
(s7) only an authoriser may take it; and, as for the first approval, not the person who
proposed the strategy while the office keeps its own safeguard
(policy.separate_proposer_and_authoriser, on by default). A proposer who wants it to continue
chooses "alter" and sends it, changed or not, for authorisation again. Ending lifts
restrictions, so the proposer or any authoriser may decide it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cards.ids import ReviewField as F
from dialogs.errors import Forbidden
from dialogs.strategy.rules import may_propose, review_date_errors
from storage.models import ContactStrategy, StaffMember
from storage.models.status import ReviewOutcome

STORED = {
    "continue": ReviewOutcome.CONTINUED,
    "alter": ReviewOutcome.ALTERED,
    "end": ReviewOutcome.ENDED,
}


def may_review(actor: StaffMember, strategy: ContactStrategy) -> bool:
    if actor.has_role("authoriser"):
        return True
    return actor.id == strategy.proposer_id and may_propose(actor)


def may_continue(actor: StaffMember, strategy: ContactStrategy, *, separate: bool) -> bool:
    """Continuing restrictions is a decision to restrict contact: an authoriser's (s7); with
    the office's `separate` safeguard, not the one who proposed them."""
    return actor.has_role("authoriser") and not (separate and actor.id == strategy.proposer_id)


def check_may_review(actor: StaffMember, strategy: ContactStrategy) -> None:
    if not may_review(actor, strategy):
        raise Forbidden(
            "Only the manager who proposed this strategy or an authoriser can review it (s7.1)."
        )


def continue_errors(
    actor: StaffMember,
    strategy: ContactStrategy,
    values: dict[str, Any],
    today: date,
    *,
    separate: bool,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not may_continue(actor, strategy, separate=separate):
        who = (
            "an authoriser (s7), and in this office not whoever proposed them (its own safeguard)"
            if separate
            else "an authoriser (s7)"
        )
        errors[F.OUTCOME] = (
            f"Continuing restrictions is a decision to restrict contact, so {who} must take "
            "it. Ask an authoriser, or choose Alter to send it (changed or not) for "
            "authorisation again."
        )
    if F.NEW_REVIEW_DATE not in values:
        return errors
    new = values[F.NEW_REVIEW_DATE]
    if new is None:
        errors[F.NEW_REVIEW_DATE] = "Give the next review date."
    else:
        errors.update(review_date_errors(new, today, F.NEW_REVIEW_DATE, again=True))
    return errors
