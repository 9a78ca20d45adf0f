"""What follows from a letter being sent, and the reminders while it is not (s6, s7, s7.1).

dialogs.letters.record_sent calls `after_sending` whichever way a letter left the office
(a member of staff pressing "Record letter sent", or the mail server accepting an email),
so a strategy takes effect the same way whoever sent its letter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dialogs.authorisation.activate import take_effect
from dialogs.change import Change
from dialogs.jobs.payloads import LetterUnsent, StrategyTakesEffect
from dialogs.kinds import LetterKind, Template
from dialogs.notice.rules import effective_date, sent_line
from dialogs.office_hours import next_opening
from storage import notice as notice_repo
from storage import staff as staff_repo
from storage.models import ContactStrategy, Letter, Person, StaffMember
from storage.models.status import StrategyStatus

# The letters whose sending puts a restriction in force: a strategy, or an alteration of
# one (an alteration is proposed, approved and written as a strategy that supersedes).
TAKES_EFFECT = (LetterKind.STRATEGY,)


def card_key(letter_id: int) -> str:
    return f"letter:{letter_id}"


async def letter_card(uow: Change, letter: Letter, *, reminder: bool = False) -> dict[str, Any]:
    """The model of the card a letter comes with: what it is, and whether it has been sent."""
    person = await uow.session.get(Person, letter.person_id)
    by = await uow.session.get(StaffMember, letter.sent_by_id) if letter.sent_by_id else None
    strategy = (
        await uow.session.get(ContactStrategy, letter.strategy_id) if letter.strategy_id else None
    )
    waiting = (
        strategy is not None
        and letter.kind in TAKES_EFFECT
        and strategy.status == StrategyStatus.APPROVED
    )
    return {
        "letter_id": letter.id,
        "reference": person.reference if person else "",
        "subject": letter.subject,
        "sent": letter.sent_on is not None,
        "sent_line": sent_line(letter.sent_method, letter.sent_on, by.name if by else "someone"),
        "takes_effect": letter.kind in TAKES_EFFECT,
        "in_force": strategy is not None and strategy.status == StrategyStatus.ACTIVE,
        "awaiting": waiting,
        "from_date": (
            strategy.takes_effect_on.strftime("%d %B %Y")
            if strategy is not None and strategy.takes_effect_on
            else ""
        ),
        "reminder": reminder,
        # "Send by email" (dialogs/letter_email): offered only when it can work, with
        # [smtp] set up and an email address recorded for the person.
        "email": uow.ctx.mailer is not None and bool(person is not None and person.email),
    }


async def offer(uow: Change, letter: Letter, deliver_to: StaffMember) -> None:
    """The card with "Record letter sent", after the letter itself; and, for a restriction,
    the reminders that follow it while it stays unsent."""
    await uow.flush()
    model = await letter_card(uow, letter)
    await uow.tell(deliver_to, Template.LETTER_READY, model, card_key=card_key(letter.id))
    if letter.kind in TAKES_EFFECT:
        await schedule_unsent_reminder(uow, letter)


async def schedule_unsent_reminder(uow: Change, letter: Letter) -> None:
    """The next working day's reminder, at opening time (s7: told in writing first)."""
    ctx = uow.ctx
    due = next_opening(
        datetime.combine(ctx.today + timedelta(days=1), ctx.policy.office_hours_start, ctx.zone),
        ctx.policy,
    )
    await uow.schedule(LetterUnsent(letter_id=letter.id, on=due.date()), due_at=due)


async def after_sending(uow: Change, letter: Letter) -> None:
    """A restriction's letter sent: in force from its effective day (now, or a job then)."""
    assert letter.sent_on is not None
    strategy = (
        await uow.session.get(ContactStrategy, letter.strategy_id) if letter.strategy_id else None
    )
    if (
        strategy is not None
        and letter.kind in TAKES_EFFECT
        and strategy.status == StrategyStatus.APPROVED
    ):
        on = effective_date(letter.sent_on, strategy.takes_effect_on)
        if on <= uow.ctx.today:
            await take_effect(uow, strategy, on=on)
        else:
            await uow.schedule(
                StrategyTakesEffect(strategy_id=strategy.id, on=on),
                due_at=datetime.combine(on, datetime.min.time(), uow.ctx.zone),
            )
    await uow.refresh_card(card_key(letter.id), await letter_card(uow, letter))


async def unsent_reminder(uow: Change, job: LetterUnsent) -> str:
    """While a restriction's letter is unsent, its proposer is told so each working day."""
    letter = await uow.session.get(Letter, job.letter_id)
    if letter is None or letter.sent_on is not None:
        return "skipped: the letter has been sent"
    strategy = (
        await uow.session.get(ContactStrategy, letter.strategy_id) if letter.strategy_id else None
    )
    if strategy is None or strategy.status != StrategyStatus.APPROVED:
        return "skipped: the strategy is no longer awaiting notice"
    proposer = await uow.session.get(StaffMember, strategy.proposer_id)
    recipients = [proposer] if proposer is not None and proposer.in_directory else []
    if not recipients:
        recipients = await staff_repo.with_role(uow.session, role="authoriser")
    model = await letter_card(uow, letter, reminder=True)
    held = next_opening(uow.now, uow.ctx.policy)
    for member in recipients:
        await uow.tell(member, Template.LETTER_READY, model, origin=None, not_before=held)
    await schedule_unsent_reminder(uow, letter)
    return f"reminded {len(recipients)} that the letter for {model['reference']} is unsent"


async def on_effective_day(uow: Change, job: StrategyTakesEffect) -> str:
    """The later day an authoriser set has come, and the letter has been sent."""
    strategy = await uow.session.get(ContactStrategy, job.strategy_id)
    if strategy is None or strategy.status != StrategyStatus.APPROVED:
        return "skipped: no longer awaiting its day"
    if not await notice_repo.letter_sent(uow.session, strategy_id=strategy.id):
        return "skipped: its letter has not been sent"
    await take_effect(uow, strategy, on=job.on)
    return f"strategy {strategy.id} in force from {job.on}"
