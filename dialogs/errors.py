"""Typed refusals. Each platform has one handler that shows them on the right surface."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user should read; `message` is written for them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotInDirectory(DomainError):
    """The user is not in the staff directory; nothing is stored for them."""


class Forbidden(DomainError):
    """The user's roles do not allow this action."""


class NotFound(DomainError):
    """A case, incident or request the user named does not exist (or is not theirs)."""


class AlreadyDone(DomainError):
    """Someone already completed this action; the message says who and when."""


class Replayed(AlreadyDone):
    """A copy of a request that has already changed something (a retry, or a replay):
    it changes nothing again (storage/seen.py, bot/interactions_once.py)."""

    MESSAGE = "This was already received and done; sending it again changes nothing."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class BadRequest(DomainError):
    """The client sent something no form of ours produces (forged or stale ids)."""


class FieldErrors(DomainError):
    """Validation failed; `errors` maps a field id to the message shown under it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Please correct the highlighted fields.")
        self.errors = errors


class TryAgain(DomainError):
    """A passing fault (the database was unavailable); nothing was changed."""
