"""Keeping a letter to a member of the public: rendered once, stored with the case, audited,
and handed to the member of staff who will send it.

Every letter goes this one way, whatever prompted it (a warning, a strategy, a review,
a breach, a dispute), so each is kept exactly as rendered and none goes unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cards import letters
from cards.text import filename
from dialogs import catalogue as cat
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.kinds import AuditAction, LetterKind, Template
from dialogs.office import Organisation
from storage.models import ContactStrategy, Letter, Person, StaffMember, Warning
from storage.models.status import LetterSendMethod, OutboxKind


def letter_date(ctx: Ctx) -> str:
    """Today as a letter is dated: "4 December 2026"."""
    return ctx.now.astimezone(ctx.zone).strftime("%d %B %Y")


# What a letter says when the person-facing summary is empty (rows from before it was
# asked for): a neutral sentence, never the internal reasons (issue 14; s7 asks that the
# person be told in writing, and the internal reasons are written for the case file).
NO_SUMMARY = (
    "We have made this decision because of the way you have contacted us. If you would "
    "like us to explain it further, please write to us, quoting the reference above."
)
NO_REVIEW_SUMMARY = (
    "We have looked at how contact with you has gone since the arrangements began, and "
    "we have decided they are still needed for now."
)
NO_OUTCOME_SUMMARY = (
    "We have considered everything you told us in your letter before reaching this decision."
)
NEUTRAL = {
    "no_summary": NO_SUMMARY,
    "no_review_summary": NO_REVIEW_SUMMARY,
    "no_outcome_summary": NO_OUTCOME_SUMMARY,
}


# The sign-off names the sender's role (issue 14), the most senior they hold; the words
# are the office's ([organisation] letter_role_titles).
SENIORITY = ("authoriser", "manager", "staff")


def signatory_role(ctx: Ctx, member: StaffMember) -> str:
    """The role printed under the sender's name: the Chief Executive's own title first."""
    org = ctx.organisation
    if member.has_role("chief_executive"):
        return org.chief_executive_title
    titles = org.letter_role_titles
    return next((titles[r] for r in SENIORITY if member.has_role(r) and titles.get(r)), "")


def considered_by(ctx: Ctx, decider: StaffMember) -> str:
    """Who considered a dispute, as its outcome letter's heading says (s7.3): the Chief
    Executive by their title, anyone else by name and role (no "Chief Executive" when
    someone else considered it)."""
    if decider.has_role("chief_executive"):
        return f"our {ctx.organisation.chief_executive_title}"
    role = signatory_role(ctx, decider)
    return f"{decider.name}, {role}" if role else decider.name


def addressee(person: Person) -> list[str]:
    """The addressee block: the name, then the postal address when known, else the email."""
    lines = [person.name]
    if person.postal_address:
        lines += [line.strip() for line in person.postal_address.splitlines() if line.strip()]
    elif person.email:
        lines.append(person.email)
    return lines


def heading(ctx: Ctx, person: Person, signatory: StaffMember) -> dict[str, Any]:
    """What every letter's letterhead, addressee block and sign-off print (cards/templates/
    letters/_base.*): the office from [organisation], the reference and date, the person,
    and who signs it in what role; the policy enclosure as configured (s7)."""
    org = ctx.organisation
    return {
        "organisation": org.model_dump(),
        # The address on one line, for a sentence ("write to us at ...").
        "address_line": ", ".join(
            line.strip() for line in org.address.splitlines() if line.strip()
        ),
        "enclosure": org.policy_enclosure(),
        "date": letter_date(ctx),
        "reference": person.reference,
        "person_name": person.name,
        "addressee": addressee(person),
        "signatory": signatory.name,
        "signatory_role": signatory_role(ctx, signatory),
        "large_print": False,
        **NEUTRAL,
    }


@dataclass(frozen=True)
class Enclosure:
    """A document that goes with a letter: what the letter calls it, the file, and what
    the button or attachment that carries it says to the member of staff sending it."""

    title: str
    path: Path
    label: str

    @property
    def file_name(self) -> str:
        """The name it goes by wherever it is sent (an upload, a download, an attachment):
        the file's own, made safe to show (cards/text.py)."""
        return filename(self.path.name, "enclosure")


def enclosures(org: Organisation, kind: str) -> list[Enclosure]:
    """The files that go with a letter of `kind` (s7: "A copy of this policy will be
    provided", with the strategy letter), exactly what the letter says is enclosed
    (cards/templates/letters/_policy.*): printed into the envelope, downloaded from the
    letter's card, uploaded beside its PDF, or attached to its email."""
    if kind == LetterKind.STRATEGY and org.policy_document_file:
        path = Path(org.policy_document_file)
        return [Enclosure(org.policy_document_title, path, "Policy to enclose")]
    return []


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
