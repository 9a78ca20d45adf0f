"""What each kind of durable job carries, typed, and the unique key it is stored under.

The key is derived from the payload, never parsed back: a handler reads the payload's
fields. Two jobs with the same key are one job (storage.jobs.schedule stores it once),
which is how a reminder is never sent twice however often it is scheduled.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class JobKind(StrEnum):
    WELFARE_FOLLOWUP = "welfare_followup"
    POLICE_REFERRAL_NUDGE = "police_referral_nudge"
    AUTHORISATION_NUDGE = "authorisation_nudge"
    REVIEW_REMINDER = "review_reminder"
    REVIEW_OVERDUE = "review_overdue"
    RETENTION_PURGE = "retention_purge"
    OVERSIGHT_REPORT = "oversight_report"
    LETTER_UNSENT = "letter_unsent"
    STRATEGY_TAKES_EFFECT = "strategy_takes_effect"


class JobPayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    kind: ClassVar[JobKind]
    # The job's unique key, filled from the payload's fields: scheduling the same key twice
    # stores one job. Keys are stored, so never change one.
    key_format: ClassVar[str]

    def key(self) -> str:
        return self.key_format.format(**self.model_dump())


class WelfareFollowUp(JobPayload):
    """Appendix A: a second check-in after an incident."""

    kind: ClassVar[JobKind] = JobKind.WELFARE_FOLLOWUP
    staff_id: int
    incident_id: int | None = None
    key_format: ClassVar[str] = "welfare-followup:incident:{incident_id}"


class PoliceReferralNudge(JobPayload):
    """s6: violence used or threatened is always reported; chase an unrecorded referral.

    `step` 0 is the first reminder, each later one a reminder of
    `police_referral_chase_days`, the last the authorisers told (dialogs/incident/jobs.py).
    """

    kind: ClassVar[JobKind] = JobKind.POLICE_REFERRAL_NUDGE
    incident_id: int
    step: int = 0
    key_format: ClassVar[str] = "police-nudge:incident:{incident_id}"

    def key(self) -> str:
        # The first step keeps the key jobs were stored under before there were steps.
        first = super().key()
        return first if self.step == 0 else f"{first}:step{self.step}"


class AuthorisationNudge(JobPayload):
    kind: ClassVar[JobKind] = JobKind.AUTHORISATION_NUDGE
    authorisation_id: int
    key_format: ClassVar[str] = "authorisation-nudge:{authorisation_id}"


class ReviewReminder(JobPayload):
    """s7.1: `lead_days` before the review date the strategy had when it was stored."""

    kind: ClassVar[JobKind] = JobKind.REVIEW_REMINDER
    strategy_id: int
    review_date: date
    lead_days: int
    key_format: ClassVar[str] = "review-reminder:{strategy_id}:{review_date}:{lead_days}"


class ReviewOverdue(JobPayload):
    """Weekly while a review is overdue; `on` tells the repeats apart (None: the first)."""

    kind: ClassVar[JobKind] = JobKind.REVIEW_OVERDUE
    strategy_id: int
    review_date: date
    on: date | None = None
    key_format: ClassVar[str] = "review-overdue:{strategy_id}:{review_date}"

    def key(self) -> str:
        first = super().key()
        return first if self.on is None else f"{first}:{self.on}"


class LetterUnsent(JobPayload):
    """s6, s7: each working day a restriction's letter is unsent, its proposer is reminded;
    `on` tells the repeats apart."""

    kind: ClassVar[JobKind] = JobKind.LETTER_UNSENT
    letter_id: int
    on: date
    key_format: ClassVar[str] = "letter-unsent:{letter_id}:{on}"


class StrategyTakesEffect(JobPayload):
    """A strategy whose letter is sent takes effect on the later day its authoriser set."""

    kind: ClassVar[JobKind] = JobKind.STRATEGY_TAKES_EFFECT
    strategy_id: int
    on: date
    key_format: ClassVar[str] = "strategy-takes-effect:{strategy_id}:{on}"


class RetentionPurge(JobPayload):
    kind: ClassVar[JobKind] = JobKind.RETENTION_PURGE
    month: str
    key_format: ClassVar[str] = "retention-purge:{month}"


class OversightReport(JobPayload):
    kind: ClassVar[JobKind] = JobKind.OVERSIGHT_REPORT
    month: str
    key_format: ClassVar[str] = "oversight-report:{month}"


PAYLOADS: dict[str, type[JobPayload]] = {
    cls.kind: cls
    for cls in (
        WelfareFollowUp,
        PoliceReferralNudge,
        AuthorisationNudge,
        ReviewReminder,
        ReviewOverdue,
        RetentionPurge,
        OversightReport,
        LetterUnsent,
        StrategyTakesEffect,
    )
}


def parse(kind: str, payload: dict[str, Any]) -> JobPayload:
    """The typed payload of a stored job; LookupError for a kind no handler knows."""
    cls = PAYLOADS.get(kind)
    if cls is None:
        raise LookupError(f"no handler for jobs of kind {kind!r}")
    return cls.model_validate(payload)
