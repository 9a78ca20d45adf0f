"""Who may review a strategy, and who may continue one (s7, s7.1): pure functions.

Who may review: the people the review reminder goes to, that is the strategy's proposer
(while still a manager or authoriser) and the authorisers. Continuing keeps contact
restricted for up to another year, which is itself a decision to restrict contact, so
(s7) only an authoriser may take it, and not the person who proposed the strategy (the
same separation of duties as the first approval). A proposer who wants it to continue
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


def may_continue(actor: StaffMember, strategy: ContactStrategy) -> bool:
    return actor.has_role("authoriser") and actor.id != strategy.proposer_id


def check_may_review(actor: StaffMember, strategy: ContactStrategy) -> None:
    if not may_review(actor, strategy):
        raise Forbidden(
            "Only the manager who proposed this strategy or an authoriser can review it (s7.1)."
        )


def continue_errors(
    actor: StaffMember, strategy: ContactStrategy, values: dict[str, Any], today: date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not may_continue(actor, strategy):
        errors[F.OUTCOME] = (
            "Continuing restrictions is a decision to restrict contact, so an authoriser "
            "other than whoever proposed them must take it (s7). Ask an authoriser, or "
            "choose Alter to send it (changed or not) for authorisation again."
        )
    if F.NEW_REVIEW_DATE not in values:
        return errors
    new = values[F.NEW_REVIEW_DATE]
    if new is None:
        errors[F.NEW_REVIEW_DATE] = "Give the next review date."
    else:
        errors.update(review_date_errors(new, today, F.NEW_REVIEW_DATE, again=True))
    return errors
