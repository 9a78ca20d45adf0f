""" "Send by email": the letter's PDF to the person, then its sending record.

Three steps, so that no transaction is held open while the mail server is talked to and
nothing is recorded that did not happen:

1. In one transaction: the checks (email set up; the letter exists, is unsent, and the
   person has an email address; the sender may send it), and a claim on the letter
   (storage/letter_claims.py), so a double click or a colleague's click sends nothing
   twice.
2. The PDF is made and handed to the mail server (bot/mail.py), outside any transaction.
3. Accepted: `record_sent(method=EMAIL)` (dialogs/letters.py, the one place a sending
   record is written, so whatever follows from sending follows here too). Refused or
   failed: the claim is released, the failure audited, the sender told why and every
   administrator told, and the letter stays unsent (s7: a restriction runs only from
   when the person was told in writing).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta

from cards import letter_pdf
from cards.text import filename
from dialogs.change import change
from dialogs.errors import BadRequest, NotFound
from dialogs.interactions import Click, Turn
from dialogs.kinds import AuditAction, Template
from dialogs.letters import AlreadySent, enclosures, record_sent
from dialogs.mail import Attached, Mail, MailFailed, MailRefused
from dialogs.notice.rules import check_may_send
from dialogs.office import Organisation
from storage import letter_claims
from storage import staff as staff_repo
from storage.models import Letter, Person
from storage.models.status import LetterSendMethod

# How long a claim holds if the server stops mid-send; well past the mail timeout.
HOLD = timedelta(minutes=10)

ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")

NOT_SET_UP = (
    "Sending letters by email is not set up on this server (an administrator adds [smtp] "
    "to the configuration). Print the letter and post it instead."
)


@dataclass(frozen=True)
class Outgoing:
    letter_id: int
    reference: str
    to: str
    subject: str
    text: str
    html: str
    kind: str


async def send_by_email(turn: Turn, click: Click) -> str:
    """Email the letter the button names; the sentence the sender reads."""
    ctx, actor = turn.ctx, turn.actor
    mailer = ctx.mailer
    if mailer is None:
        raise BadRequest(NOT_SET_UP)
    outgoing = await _claim(turn, click.value)
    try:
        # s7: what the letter says is enclosed is attached after it, or nothing is sent.
        enclosed = tuple(await _enclosed(ctx.organisation, outgoing.kind))
    except OSError as exc:
        await _release(turn, outgoing.letter_id)
        raise BadRequest(
            "The policy document this letter says is enclosed could not be read on the "
            f"server ({exc.strerror}), so nothing was sent. An administrator must check "
            "organisation.policy_document_file."
        ) from exc
    try:
        body = await asyncio.to_thread(letter_pdf.pdf, outgoing.html)
        kind_name = outgoing.kind.replace("_", "-")
        await mailer.send(
            Mail(
                to=outgoing.to,
                subject=outgoing.subject,
                text=outgoing.text,
                html=outgoing.html,
                attachment_name=filename(f"{outgoing.reference}-{kind_name}.pdf"),
                attachment=body,
                enclosures=enclosed,
            )
        )
    except (MailRefused, MailFailed) as exc:
        await _failed(turn, outgoing, str(exc))
        return (
            f"The letter for {outgoing.reference} was NOT sent by email: {exc}. It is not "
            "recorded as sent. Correct their address with Their address on the letter's card, "
            "or print and post it; the administrators have been told."
        )
    except BaseException:
        # Whatever else stopped it (the PDF could not be made): let it be tried again.
        await _release(turn, outgoing.letter_id)
        raise
    async with change(ctx, actor) as uow:
        letter = await uow.session.get(Letter, outgoing.letter_id)
        if letter is None:  # purged in the seconds the email took: it was still sent
            return f"Sent by email to {outgoing.to}, but the letter is no longer on the case."
        try:
            await record_sent(uow, letter, method=LetterSendMethod.EMAIL, on=ctx.today, by=actor)
        except AlreadySent:
            return (
                f"Sent by email to {outgoing.to}. It had already been recorded as sent on "
                f"{letter.sent_on:%d %B %Y}, and that record stands."
            )
    return (
        f"Sent by email to {outgoing.to} from {mailer.sender}. The letter for "
        f"{outgoing.reference} is recorded as sent by email today ({ctx.today:%d %B %Y})."
    )


async def _enclosed(org: Organisation, kind: str) -> list[Attached]:
    """The files the letter says are enclosed, read off the event loop."""
    return [
        Attached(enc.file_name, await asyncio.to_thread(enc.path.read_bytes))
        for enc in enclosures(org, kind)
    ]


async def _claim(turn: Turn, letter_id: int) -> Outgoing:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        letter = await uow.session.get(Letter, letter_id)
        if letter is None:
            raise NotFound("There is no such letter.")
        check_may_send(
            actor,
            letter,
            "Only the letter's author, a manager, an authoriser or the Chief Executive "
            "can send a letter.",
        )
        person = await uow.session.get(Person, letter.person_id)
        assert person is not None
        if letter.sent_on is not None:
            raise BadRequest(
                f"The letter for {person.reference} was already recorded as sent on "
                f"{letter.sent_on:%d %B %Y}; it has not been sent again."
            )
        if not person.email:
            raise BadRequest(
                f"No email address is recorded for {person.reference}, so the letter cannot "
                "be emailed. Print it and post it, or give their email address with Their "
                "address on the letter's card."
            )
        if not await letter_claims.claim(uow.session, letter.id, now=ctx.now, hold=HOLD):
            raise BadRequest(
                f"The letter for {person.reference} is being sent by email already (the "
                "button was pressed a moment ago). Wait for that answer: it says whether "
                "the mail server took it."
            )
        return Outgoing(
            letter_id=letter.id,
            reference=person.reference,
            to=person.email,
            subject=letter.subject,
            text=letter.text,
            html=letter.html,
            kind=str(letter.kind),
        )


async def _release(turn: Turn, letter_id: int) -> None:
    async with change(turn.ctx, turn.actor) as uow:
        await letter_claims.release(uow.session, letter_id)


async def _failed(turn: Turn, outgoing: Outgoing, reason: str) -> None:
    """Release the claim, audit the failure, and tell every administrator (the sender is
    told by the answer)."""
    ctx, actor = turn.ctx, turn.actor
    # The mail server's reply often quotes the address: the trail and the administrators
    # get the case reference instead (personal data only to those who need it).
    reason = ADDRESS.sub("(their address)", reason)
    async with change(ctx, actor) as uow:
        await letter_claims.release(uow.session, outgoing.letter_id)
        letter = await uow.session.get(Letter, outgoing.letter_id)
        if letter is not None:
            await uow.audit(
                AuditAction.LETTER_EMAIL_FAILED, letter, case=outgoing.reference, reason=reason
            )
        text = (
            f"A letter for {outgoing.reference} could not be sent by email ({actor.name} "
            f"tried): {reason}. It is not recorded as sent. Check the [smtp] settings and "
            "the mail server."
        )
        for admin in await staff_repo.with_role(uow.session, role="admin"):
            if admin.id != actor.id:
                await uow.tell(admin, Template.NOTICE, {"text": text})
