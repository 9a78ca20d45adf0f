"""Sending an email, as dialogs/ sees it: what to send, and the two ways it can fail.

The flow that emails a letter (dialogs/letter_email) is given a `Mailer` in its context;
bot/mail.py is the one that speaks SMTP. So dialogs/ holds the rule (record the letter as
sent only once the mail server has accepted it) and no network code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Attached:
    """A file that goes with the letter (s7: the policy a strategy letter encloses)."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    attachment_name: str
    attachment: bytes
    # After the letter's PDF, what the letter says is enclosed (dialogs.letters.enclosures).
    enclosures: tuple[Attached, ...] = ()


class MailRefused(Exception):
    """The mail server answered and refused it (a 5xx reply, or the address rejected):
    sending it again unchanged would be refused again. str() says why, for the sender."""


class MailFailed(Exception):
    """The mail server could not be reached, or failed part way (a timeout, a 4xx reply,
    TLS refused): nothing is known to have been delivered. str() says why."""


class Mailer(Protocol):
    @property
    def sender(self) -> str:
        """The office's address the email comes from."""
        ...

    async def send(self, mail: Mail) -> None:
        """Hand the email to the mail server; return once it has accepted it."""
        ...
