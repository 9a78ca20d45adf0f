"""Who may decide an authorisation request (s7, s7.1): the one home of that rule."""

from __future__ import annotations

from dialogs.errors import Forbidden
from dialogs.interactions import Who
from storage.models import StaffMember
from storage.models.status import AuthorisationStatus

AUTHORISERS = Who(
    lambda actor: actor.has_role("authoriser"),
    "Only an authoriser (the Head of Business Services and Assurance, or senior staff "
    "nominated by the Chief Executive) can decide this (s7).",
)

OWN_REQUEST = (
    "You made this request, so another authoriser must decide it: this office keeps who "
    "asks and who decides apart (its own safeguard, policy.separate_proposer_and_authoriser)."
)

DECISIONS: dict[str, AuthorisationStatus] = {
    "approve": AuthorisationStatus.APPROVED,
    "deny": AuthorisationStatus.DENIED,
    "changes": AuthorisationStatus.CHANGES_REQUESTED,
}

# How a decided request reads: "Already approved by …", "Already sent back by …".
DONE_LABEL = {
    AuthorisationStatus.APPROVED: "approved",
    AuthorisationStatus.DENIED: "denied",
    AuthorisationStatus.CHANGES_REQUESTED: "sent back",
}
CARD_LABEL = {
    AuthorisationStatus.APPROVED: "Approved",
    AuthorisationStatus.DENIED: "Denied",
    AuthorisationStatus.CHANGES_REQUESTED: "Changes requested",
}


def check_may_decide(actor: StaffMember, requested_by_id: int, *, separate: bool) -> None:
    """An authoriser (s7); with the office's `separate` safeguard, never on their own
    request."""
    AUTHORISERS.check(actor)
    if separate and actor.id == requested_by_id:
        raise Forbidden(OWN_REQUEST)


def others(
    authorisers: list[StaffMember], requester_id: int, *, separate: bool
) -> list[StaffMember]:
    """The authorisers who may decide a request: all, or with the office's `separate`
    safeguard all but whoever made it."""
    return [a for a in authorisers if not separate or a.id != requester_id]
