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
    others = [b for b in values.get(F.BEHAVIOURS) or [] if b.startswith("other_")]
    described = (values.get(F.OTHER_BEHAVIOUR) or "").strip()
    if others and not described and F.OTHER_BEHAVIOUR in values:
        errors[F.OTHER_BEHAVIOUR] = "Describe the \u201cother\u201d behaviour you chose."
    elif described and not others and F.BEHAVIOURS in values:
        errors[F.OTHER_BEHAVIOUR] = (
            "Choose the \u201cother\u201d it belongs to in the list above, or clear this."
        )
    actions = values.get(F.ACTIONS) or []
    if "none" in actions and len(actions) > 1:
        errors[F.ACTIONS] = "You chose 'None of these' with other actions; choose one or the other."
    elif (said := channel_action_error(values.get(F.CHANNEL), actions)) is not None:
        errors[F.ACTIONS] = said
    return errors


# s6, "the following approaches should be used for the different ways that contact is
# made": each action at the time belongs to the channel the policy gives it.
ACTION_CHANNELS = {
    # Telephone: "disengage from the call, either by putting the caller on hold or hanging up".
    "ended_call": ("telephone", "Ending or holding a call"),
    # Electronic communication: "abusive posts ... will be deleted after being recorded.
    # Further abuse will lead to the person being blocked."
    "post_deleted": ("social_media", "Recording and deleting a post"),
    "blocked": ("social_media", "Blocking the sender"),
}
CHANNEL_WORDS = {
    "telephone": "a telephone call",
    "social_media": "social media",
}


def channel_action_error(channel: str | None, actions: list[str]) -> str | None:
    """An action at the time that the policy does not give this channel, or a call ended
    without the warning that must come first; None when the answers hold together."""
    if channel is None:
        return None
    for action in actions:
        rule = ACTION_CHANNELS.get(action)
        if rule is not None and rule[0] != channel:
            return (
                f"{rule[1]} is for {CHANNEL_WORDS[rule[0]]} (s6), and this contact was not. "
                "Untick it, or change how they were in contact."
            )
    if "ended_call" in actions and "warned" not in actions:
        return (
            "s6: a caller is first warned that their behaviour is falling short and asked to "
            "change, and told before the call is held or ended. Tick the warning too, if you "
            "gave it on this call."
        )
    return None


BLOCKING_NEEDS_FURTHER_ABUSE = (
    "s6: abuse on social media is recorded and the post deleted; it is further abuse that "
    "leads to blocking. Nothing on file permits it (an earlier social media report, a "
    "warning given, or a strategy in force that blocks social media), so record this one "
    "and delete the post; block them if it happens again."
)


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
