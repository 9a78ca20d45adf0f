"""The retention rules (s9, Appendix A): which cases are due, and what anonymising removes.

Pure functions, no I/O; dialogs/records/retention.py reads the rows and writes the
change. A case is due `retention_years` after its last activity, unless a strategy on it
is still in force or awaiting a decision; an open subject access request holds a due
case back. Welfare check-ins are due `welfare_retention_months` after they were made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import Enum
from typing import Any

from dialogs.kinds import Template
from dialogs.office import PolicySettings
from dialogs.records.months import months_before, years_before
from storage.case_file import Held
from storage.models import Person
from storage.models.status import StrategyStatus

REMOVED = "[removed under the retention policy]"
ANONYMISED_NAME = "(anonymised)"
# Strategies that are not over: their person's activity has not ended.
LIVE_STRATEGY = (StrategyStatus.ACTIVE, StrategyStatus.PENDING)
# Messages whose whole content is a staff member's welfare (Appendix A).
WELFARE_TEMPLATES = (Template.WELFARE_CHECKIN, Template.SUPPORT, Template.TALK_REQUEST)

# What anonymising puts in place of a person's details; their reference stays.
PERSON_BLANKS: dict[str, Any] = {
    "name": ANONYMISED_NAME,
    "additional_needs": "",
    "reasonable_adjustments": "",
    "advocate_name": None,
    "advocate_contact": None,
    "unusable_methods": [],
    "needs_history": [],
}
# The same for each kind of row on the case. What happened, when, by which channel and
# in which behaviour categories stays: the oversight report counts it year on year, and
# the audit trail names these rows. A strategy's five s7 criteria stay attested (their
# keys); the notes go.
BLANKS: dict[str, dict[str, Any]] = {
    "incidents": {
        "what_happened": REMOVED,
        "impact": "",
        "known_needs": "",
        "police_not_referred_reason": REMOVED,
        "other_behaviour": REMOVED,
    },
    "warnings": {"behaviour_to_change": REMOVED},
    "police_referrals": {"police_reference": REMOVED},
    "contact_strategies": {
        "reasons": REMOVED,
        "no_warning_reason": "",
        "shortcomings_addressed": "",
        "adjustments_considered": "",
    },
    "authorisations": {"decision_reason": ""},
    "reviews": {"reasons": REMOVED},
    "breaches": {"description": REMOVED},
    "disputes": {"grounds": REMOVED, "outcome_reasons": ""},
    "contact_logs": {"summary": REMOVED},
    "further_actions": {"details": REMOVED},
    "matters": {"summary": REMOVED, "outcome": REMOVED},
    "sharing_requests": {"agency": REMOVED, "what": REMOVED, "reason_detail": ""},
    "disclosures": {"note": ""},
}
RESTRICTION_BLANKS: dict[str, Any] = {
    "email_address": None,
    "advocate_name": None,
    "advocate_contact": None,
}
# How a plan names what it anonymises, in the order it lists them.
COUNTED = (
    ("incidents", "incidents"),
    ("warnings", "warnings"),
    ("police referrals", "police_referrals"),
    ("strategies", "contact_strategies"),
    ("restrictions", "restrictions"),
    ("authorisations", "authorisations"),
    ("reviews", "reviews"),
    ("breaches", "breaches"),
    ("disputes", "disputes"),
    ("contact logs", "contact_logs"),
    ("further actions", "further_actions"),
    ("matters", "matters"),
    ("sharing requests", "sharing_requests"),
    ("disclosures", "disclosures"),
)


@dataclass(frozen=True)
class Cutoffs:
    """Activity on a case before `case` is past keeping; welfare check-ins before `welfare`."""

    case: datetime
    welfare: datetime


def cutoffs(now: datetime, policy: PolicySettings) -> Cutoffs:
    """The two clocks, counted back in calendar years and months in the office's zone."""
    zone = policy.zone
    return Cutoffs(
        case=years_before(now, policy.retention_years, zone),
        welfare=months_before(now, policy.welfare_retention_months, zone),
    )


class Due(Enum):
    KEEP = "keep"
    HELD = "held"  # past its time, but a subject access request is being answered
    PURGE = "purge"


def due(last_activity: datetime, cutoff: datetime, *, live: bool, requested: bool) -> Due:
    """Whether a case is anonymised now: past its time, nothing live, nobody asking."""
    if last_activity >= cutoff or live:
        return Due.KEEP
    return Due.HELD if requested else Due.PURGE


def restrictions(held: Held) -> list[Any]:
    return [r for strategy in held["contact_strategies"] for r in strategy.restrictions]


def counts(held: Held) -> dict[str, int]:
    """How many rows of each kind anonymising changes, as a plan names them."""
    rows = {**held, "restrictions": restrictions(held)}
    return {label: len(rows[kind]) for label, kind in COUNTED}


def _blank(row: Any, values: dict[str, Any]) -> None:
    # A column never written (None) holds nothing to remove, and stays "not recorded":
    # an incident with no decision not to report it must not read as one after the purge.
    for name, value in values.items():
        if getattr(row, name) is not None:
            setattr(row, name, value)


def anonymise(person: Person, held: Held, *, at: datetime) -> None:
    """Replace the personal content of a person and every row on their case, in memory."""
    _blank(person, PERSON_BLANKS)
    person.anonymised_at = at
    for kind, values in BLANKS.items():
        for row in held[kind]:
            _blank(row, values)
    for strategy in held["contact_strategies"]:
        strategy.criteria = dict.fromkeys(strategy.criteria, "")
        strategy.unusable_methods = []
    for restriction in restrictions(held):
        _blank(restriction, RESTRICTION_BLANKS)


@dataclass(frozen=True)
class PersonPurge:
    """One case the purge anonymises."""

    person_id: int
    reference: str
    last_activity: datetime
    # What happens to their rows: table -> number of rows anonymised or deleted.
    anonymised: dict[str, int]
    deleted: dict[str, int]
    # The rows themselves, as read when the plan was made.
    person: Person = field(repr=False, compare=False)
    held: Held = field(repr=False, compare=False)


@dataclass(frozen=True)
class Plan:
    """What a purge at `now` anonymises, holds back and deletes."""

    now: datetime
    cutoffs: Cutoffs
    people: tuple[PersonPurge, ...]
    # Cases past their time but kept while a subject access request is answered.
    held_by_request: tuple[str, ...]
    outbox_ids: tuple[int, ...] = field(default=(), repr=False)
    welfare_checkin_ids: tuple[int, ...] = field(default=(), repr=False)
    welfare_message_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def welfare_checkins(self) -> int:
        return len(self.welfare_checkin_ids)

    @property
    def welfare_messages(self) -> int:
        return len(self.welfare_message_ids)

    @property
    def empty(self) -> bool:
        return not (self.people or self.welfare_checkins or self.welfare_messages)

    @property
    def letter_ids(self) -> list[int]:
        return [letter.id for p in self.people for letter in p.held["letters"]]

    def describe(self, zone: tzinfo) -> list[str]:
        """What the purge will do (or did), in lines an operator can read before it runs."""
        cut = self.cutoffs.case.astimezone(zone).date()
        wcut = self.cutoffs.welfare.astimezone(zone).date()
        lines = [
            f"Cases with no activity since before {cut} are anonymised; "
            f"welfare check-ins from before {wcut} are deleted."
        ]
        if not self.people:
            lines.append("No case is past its retention period.")
        for p in self.people:
            changed = ", ".join(f"{n} {t}" for t, n in p.anonymised.items() if n)
            gone = ", ".join(f"{n} {t}" for t, n in p.deleted.items() if n)
            lines.append(
                f"  {p.reference}: last activity {p.last_activity.astimezone(zone).date()}; "
                f"anonymise {changed or 'the person only'}" + (f"; delete {gone}" if gone else "")
            )
        for reference in self.held_by_request:
            lines.append(
                f"  {reference}: past its retention period but kept while its subject "
                "access request is open"
            )
        lines.append(
            f"Welfare: delete {self.welfare_checkins} check-ins and "
            f"{self.welfare_messages} messages that carried them."
        )
        return lines
