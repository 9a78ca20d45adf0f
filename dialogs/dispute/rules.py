"""Who considers a dispute (s7.3): someone who took no part in the decision. Pure functions.

Nobody should judge their own decision, so if the Chief Executive authorised the
strategy (or proposed it, or continued or altered it at a review), someone independent
is asked instead: another holder of the
chief executive role, else an authoriser who was neither the proposer nor an approver.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.errors import DomainError, Forbidden
from storage.models import StaffMember

NOBODY_INDEPENDENT = (
    "Nobody independent of the decision is in the staff directory to consider this "
    "dispute (another Chief Executive or an authoriser who took no part). Ask an "
    "administrator to add one, then record it again."
)


@dataclass(frozen=True)
class Assignment:
    decider: StaffMember
    # Chief executives who took part in the decision: told, but not asked.
    involved_ces: list[StaffMember]
    why: str


def why(decider: StaffMember, involved_ces: list[StaffMember], any_ce: bool) -> str:
    if involved_ces:
        names = " and ".join(c.name for c in involved_ces)
        return (
            f"The Chief Executive ({names}) took part in the decision to restrict contact, "
            "so you have been asked to consider the dispute independently instead."
        )
    if decider.has_role("chief_executive"):
        return "As Chief Executive, you consider disputes of a decision to restrict contact."
    if not any_ce:
        return (
            "There is no Chief Executive in the staff directory, so you have been asked as "
            "someone who took no part in the decision."
        )
    return "You have been asked as someone who took no part in the decision."


def took_part(decisions: list[tuple[str, int]]) -> set[int]:
    """Everyone not independent of the decision being disputed (s7.3): whoever proposed or
    approved the arrangements, or continued or altered them at a review, for the strategy
    and every version it replaced (storage.strategies.decision_makers reads them)."""
    return {staff_id for _, staff_id in decisions}


def assign(
    ces: list[StaffMember], authorisers: list[StaffMember], involved: set[int]
) -> Assignment:
    """The one person who should consider the dispute, and why it is them."""
    involved_ces = [c for c in ces if c.id in involved]
    candidates = [c for c in ces if c.id not in involved]
    candidates += [a for a in authorisers if a.id not in involved]
    if not candidates:
        raise DomainError(NOBODY_INDEPENDENT)
    decider = candidates[0]
    return Assignment(decider, involved_ces, why(decider, involved_ces, bool(ces)))


def may_still_decide(member: StaffMember | None) -> bool:
    """Whether the person asked can still decide: in the directory, with a deciding role."""
    return (
        member is not None
        and member.in_directory
        and (member.has_role("chief_executive") or member.has_role("authoriser"))
    )


def check_may_decide(actor: StaffMember, decider_id: int | None) -> None:
    if actor.id != decider_id:
        raise Forbidden(
            "Only the person asked to consider this dispute can decide it: it must be "
            "considered by someone independent of the decision to restrict contact (s7.3)."
        )
