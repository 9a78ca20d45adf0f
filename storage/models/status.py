"""The states a stored row moves through, as enums instead of bare strings.

Each is a StrEnum, so a value compares equal to the string stored in its column and the
database keeps plain text (no migration, readable by hand); code that sets or tests a
state names it here, so a misspelt state is an import error rather than a silent miss.
"""

from __future__ import annotations

from enum import StrEnum


class StrategyStatus(StrEnum):
    """A contact strategy: draft -> pending -> approved -> active -> (altered | ended), or denied.

    Approved is authorised but not yet in force: the person has not been told in writing
    (s7), so staff restrict nothing and no breach can be recorded until the letter is sent.
    """

    DRAFT = "draft"  # sent back for changes; the proposer may resubmit it
    PENDING = "pending"  # waiting for an authoriser
    APPROVED = "approved"  # authorised; awaiting notice (its letter not yet sent)
    ACTIVE = "active"  # in force
    DENIED = "denied"
    ALTERED = "altered"  # replaced by an approved alteration
    ENDED = "ended"  # ended at a review


class AuthorisationKind(StrEnum):
    STRATEGY = "strategy"
    CHANGE = "change"  # an alteration of a strategy in force
    SHARING = "sharing"  # sharing with a partner agency (s7.1)


class AuthorisationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CHANGES_REQUESTED = "changes_requested"


class ReviewOutcome(StrEnum):
    CONTINUED = "continued"
    ALTERED = "altered"
    ENDED = "ended"


class OutboxKind(StrEnum):
    MESSAGE = "message"  # a new post
    UPDATE = "update"  # replaces an earlier post with the same card key
    FILE = "file"  # a letter or an attachment, uploaded


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # an update whose card was never posted


class JobStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class SarStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SarOutcome(StrEnum):
    """How a subject access request was closed (s9)."""

    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"  # manifestly unfounded or excessive (UK GDPR Art. 12(5))


class LetterSendMethod(StrEnum):
    """How a letter left the office; recorded by a member of staff or the mail server."""

    POST = "post"
    EMAIL = "email"
    HAND = "hand"


class WarningKind(StrEnum):
    VERBAL = "verbal"
    WRITTEN = "written"


class FurtherActionKind(StrEnum):
    """What a senior manager did beyond the strategy (s7.2)."""

    LEGAL_ADVICE_SOUGHT = "legal_advice_sought"
    LEGAL_ADVICE_RECEIVED = "legal_advice_received"
    OTHER = "other"


class CheckInKind(StrEnum):
    AFTER_INCIDENT = "after_incident"
    FOLLOW_UP = "follow_up"
    SELF = "self"
