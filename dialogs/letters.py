"""Keeping a letter to a member of the public: rendered once, stored with the case, audited,
and handed to the member of staff who will send it.

Every letter goes this one way, whatever prompted it (a warning, a strategy, a review,
a breach, a dispute), so each is kept exactly as rendered and none goes unrecorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cards import letters
from dialogs import catalogue as cat
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.kinds import AuditAction, LetterKind, Template
from storage.models import ContactStrategy, Letter, Person, StaffMember, Warning
from storage.models.status import LetterSendMethod, OutboxKind


def letter_date(ctx: Ctx) -> str:
    """Today as a letter is dated: "4 December 2026"."""
    return ctx.now.astimezone(ctx.zone).strftime("%d %B %Y")


def send_by_label(channel: str | None) -> str:
    return cat.label(cat.CONTACT_METHODS, channel or "letter").lower()


async def keep(
    uow: Change,
    *,
    kind: LetterKind,
    model: dict[str, Any],
    person: Person,
    author: StaffMember,
    deliver_to: StaffMember,
    comment: str,
    send_by: str = "letter",
    filename: str | None = None,
    strategy: ContactStrategy | None = None,
    warning: Warning | None = None,
) -> Letter:
    """Render a letter, keep it with the case, audit it, and send it to staff as a file."""
    subject, html, text = letters.render(kind, model)
    letter = Letter(
        person_id=person.id,
        kind=kind,
        send_by=send_by,
        subject=subject,
        html=html,
        text=text,
        strategy_id=strategy.id if strategy is not None else None,
        warning_id=warning.id if warning is not None else None,
        created_by_id=author.id,
        created_at=uow.now,
    )
    uow.add(letter)
    await uow.audit(AuditAction.LETTER_CREATED, letter, by=author, case=person.reference, kind=kind)
    await uow.tell(
        deliver_to,
        Template.LETTER_FILE,
        {
            "reference": person.reference,
            "subject": letter.subject,
            "filename": filename or f"{person.reference}-{kind.replace('_', '-')}.html",
            "comment": comment,
        },
        kind=OutboxKind.FILE,
        letter=letter,
        origin=author,
    )
    # Its card with "Record letter sent" follows (dialogs/notice; imported here, as it
    # imports the strategy flows that keep letters).
    from dialogs.notice.effect import offer

    await offer(uow, letter, deliver_to)
    return letter


class AlreadySent(Exception):
    """The letter already has a sending record; the first record stands."""

    def __init__(self, letter: Letter) -> None:
        super().__init__(f"letter {letter.id} was already recorded as sent on {letter.sent_on}")
        self.letter = letter


async def record_sent(
    uow: Change, letter: Letter, *, method: LetterSendMethod, on: date, by: StaffMember
) -> Letter:
    """Record when and how a letter left the office (s7: the person is told in writing).

    The one place a sending record is written, whoever records it (a member of staff
    pressing "Record letter sent", or the mail server accepting an email), so what follows
    from sending (a strategy taking effect) follows whichever way it was sent.
    """
    if letter.sent_on is not None:
        raise AlreadySent(letter)
    letter.sent_on = on
    letter.sent_method = method
    letter.sent_by_id = by.id
    letter.sent_recorded_at = uow.now
    await uow.audit(
        AuditAction.LETTER_SENT, letter, by=by, kind=letter.kind, method=method, on=on.isoformat()
    )
    # What follows from sending (a strategy or an alteration taking effect, s6, s7).
    from dialogs.notice.effect import after_sending

    await after_sending(uow, letter)
    return letter
