"""The incident's own rules: pure functions of the answers and the people, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cards.ids import IncidentField as F
from dialogs.errors import Forbidden
from storage.models import StaffMember

# A report may describe something that happened a little in the future of the server's
# clock (a laptop clock running fast), but not tomorrow.
FUTURE_SLACK = timedelta(minutes=10)


def report_errors(values: dict[str, Any], now: datetime) -> dict[str, str]:
    """The report's own rules, on whichever fields passed their basic checks."""
    errors: dict[str, str] = {}
    person, new_name = values.get(F.PERSON, 0), values.get(F.NEW_PERSON, "")
    if person is None and new_name is None:
        errors[F.PERSON] = "Choose who this was, or give a new person's name below."
    elif person and new_name:
        errors[F.NEW_PERSON] = "You chose someone above; clear this, or clear the choice above."
    when = values.get(F.OCCURRED_AT)
    if when is not None and when > now + FUTURE_SLACK:
        errors[F.OCCURRED_AT] = "This is in the future; when did it happen?"
    actions = values.get(F.ACTIONS) or []
    if "none" in actions and len(actions) > 1:
        errors[F.ACTIONS] = "You chose 'None of these' with other actions; choose one or the other."
    return errors


@dataclass(frozen=True)
class Deciders:
    """Who gets an incident's card, and how the reporter's receipt names them."""

    people: list[StaffMember]
    description: str
    fallback: bool


def deciders(
    reporter: StaffMember,
    manager: StaffMember | None,
    authorisers: list[StaffMember],
    admins: list[StaffMember],
) -> Deciders:
    """s6: "inform their manager"; without one, the authorisers; without them, the admins."""
    if manager is not None:
        return Deciders([manager], f"your manager, {manager.name}", False)
    others = [a for a in authorisers if a.id != reporter.id]
    if others:
        return Deciders(others, "the authorisers (you have no manager on file)", True)
    return Deciders(
        [a for a in admins if a.id != reporter.id],
        "the administrators (no manager or authoriser is on file)",
        True,
    )


def check_may_act(actor: StaffMember, reporter_id: int, deciders: Deciders) -> None:
    """The card's recipients act on it; any authoriser may too. Never the reporter."""
    if actor.id == reporter_id:
        raise Forbidden("You reported this incident, so its follow-up is for your manager.")
    if actor.id in {d.id for d in deciders.people} or actor.has_role("authoriser"):
        return
    raise Forbidden("Only the reporter's manager or an authoriser can act on this incident.")


def not_in_future(day: Any, today: Any, field: str) -> dict[str, str]:
    """A date that must already have happened (a warning given, a referral made)."""
    return {field: "This date is in the future."} if day is not None and day > today else {}


# How long an unacknowledged incident card keeps waiting for someone (`waiting`, the
# App Home). After that, or once a strategy is in force for the person, it has been
# overtaken by events: it stays on its card and in the case file, not on the list.
WAITING_DAYS = 30
WAITING_MEANS = (
    f"Waiting means: incident reports from the last {WAITING_DAYS} days that nobody has "
    "acknowledged, unless a contact strategy is already in force for that person; requests "
    "you were asked to authorise; disputes you were asked to consider."
)


def awaits_acknowledgement(
    reported_at: datetime, now: datetime, *, strategy_in_force: bool
) -> bool:
    """Whether an unacknowledged incident still waits on someone's list (WAITING_MEANS)."""
    return not strategy_in_force and now - reported_at <= timedelta(days=WAITING_DAYS)
