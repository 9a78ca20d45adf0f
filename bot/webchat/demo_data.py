"""`safecontact demo-data`: a small fictional history, so a trainer can walk every flow.

Everything is made through dialogs/, the same functions the chat flows call, at the times
it would have happened, so the case files, letters, audit trail and reminders are real:

- Morgan Example: two incidents (reported by Sam Rivers and Priya Shah), a verbal
  warning from Jo Fielding, a contact strategy proposed by Jo and approved by Bea Okafor
  some weeks ago, its letter posted and recorded as sent that day (in force since then),
  due for review in three days, and a breach recorded last week;
- Taylor Sample: an incident Sam reported two hours ago, not yet acted on.

What the history sent at the time (cards, receipts, check-ins, the letter) is marked as
skipped in the outbox rather than delivered now, and jobs that fell due before today
are marked done, as if the bot had been running then. The newest incident's messages are
left to be delivered, and the review reminder due today is left to the scheduler: they
are what a trainer shows first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.runtime import Runtime
from dialogs.authorisation import decide
from dialogs.breach import flow as breach
from dialogs.context import Ctx
from dialogs.incident import follow_up, report
from dialogs.interactions import Turn
from dialogs.notice import flow as notice
from dialogs.strategy import propose
from storage import staff as staff_repo
from storage.models import Letter, OutboxMessage, Person, ScheduledJob, StaffMember

MORGAN = "Morgan Example"
TAYLOR = "Taylor Sample"
REVIEW_IN_DAYS = 3
CRITERIA = ("addressed", "communication", "access", "misunderstandings", "proportionate")
SELF_CHECK = ("explained", "proportionate", "communicated", "support", "rationale")


@dataclass
class _History:
    runtime: Runtime
    staff: dict[str, StaffMember]
    today: date

    def at(self, days_ago: int, hh: int, mm: int = 0) -> datetime:
        """A local wall-clock time `days_ago` days back, as UTC."""
        zone = self.runtime.settings.policy.zone
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hh, mm), tzinfo=zone).astimezone(UTC)

    def ctx(self, now: datetime) -> Ctx:
        settings = self.runtime.settings
        return Ctx(
            db=self.runtime.db,
            organisation=settings.organisation,
            policy=settings.policy,
            now=now,
        )

    def who(self, local_part: str) -> StaffMember:
        return self.staff[local_part]

    async def report(self, now: datetime, reporter: str, **values: Any) -> int:
        submitted = {
            "occurred_at": int((now - timedelta(minutes=40)).timestamp()),
            "violence": "no",
            **{f"s4_{q}": "yes" for q in SELF_CHECK},
            **values,
        }
        ctx = self.ctx(now)
        recorded = await report.record(ctx, actor=self.who(reporter), submitted=submitted)
        return recorded.incident_id


async def _staff(runtime: Runtime) -> dict[str, StaffMember]:
    async with runtime.db.read() as session:
        members = await staff_repo.list_staff(session)
    return {m.email.split("@")[0]: m for m in members}


async def _already_loaded(runtime: Runtime) -> bool:
    async with runtime.db.read() as session:
        found = await session.execute(
            select(func.count()).select_from(Person).where(Person.name == MORGAN)
        )
        return bool(found.scalar_one())


async def _last_outbox_id(runtime: Runtime) -> int:
    async with runtime.db.read() as session:
        return (await session.execute(select(func.max(OutboxMessage.id)))).scalar_one() or 0


async def _morgan(h: _History) -> tuple[str, date]:
    """Two incidents, a warning, a strategy in force near its review, and a breach."""
    first = h.at(40, 10, 15)
    incident_1 = await h.report(
        first,
        "sam.rivers",
        new_person_name=MORGAN,
        channel="telephone",
        behaviours=["abuse", "demand_updates"],
        what_happened=(
            "Called about their complaint for the fourth time this week, shouted and swore "
            "when told there was no update yet. (Fictional demo record.)"
        ),
        impact="Upset; took a short break afterwards.",
        actions_taken=["warned", "ended_call"],
        known_needs="Has told us they find long phone calls tiring.",
    )
    warned = h.at(39, 11)
    await follow_up.submit_warning(
        Turn(h.ctx(warned), h.who("jo.fielding")),
        {
            "warning_kind": "verbal",
            "given_on": warned.astimezone(h.runtime.settings.policy.zone).date().isoformat(),
            "behaviour_to_change": "Shouting and swearing at staff on the phone.",
        },
        {"incident_id": incident_1},
    )
    async with h.runtime.db.read() as session:
        person_id = (
            await session.execute(select(Person.id).where(Person.name == MORGAN))
        ).scalar_one()
    incident_2 = await h.report(
        h.at(33, 14, 30),
        "priya.shah",
        person=f"p:{person_id}",
        channel="email",
        behaviours=["demand_updates"],
        what_happened=(
            "Sent eleven emails in one afternoon demanding a reply within the hour. "
            "(Fictional demo record.)"
        ),
        actions_taken=["none"],
    )

    proposed_at = h.at(32, 9, 30)
    ctx = h.ctx(proposed_at)
    jo = h.who("jo.fielding")
    spec = await propose.proposal_form(Turn(ctx, jo), {"incident_id": incident_1})
    review = h.today + timedelta(days=REVIEW_IN_DAYS)
    proposed = await propose.propose(
        ctx,
        actor=jo,
        context=spec.context,
        submitted={
            "restrictions": ["call_limit"],
            "call_minutes": "10",
            "reasons": "Repeated abusive calls after a warning (fictional demo record).",
            "public_summary": "You have repeatedly been abusive to our staff on the telephone, "
            "after we warned you about it. For a while, please contact us in writing.",
            "incidents": [str(incident_1), str(incident_2)],
            "warning_given": "yes",
            "adjustments": "Shorter calls suit their stated needs; letters stay open to them.",
            "criteria": list(CRITERIA),
            **{f"criterion_{c}": "Yes (demo)." for c in CRITERIA},
            "review_date": review.isoformat(),
            "letter_channel": "letter",
            "letter_format": "standard",
        },
    )
    await decide.decide(
        h.ctx(h.at(32, 15)),
        actor=h.who("bea.okafor"),
        authorisation_id=proposed.authorisation_id,
        decision="approve",
    )
    # Approved is not in force until the person is told (s6, s7): Jo posts the letter
    # the same afternoon and records it, so the review falls due as the trainer expects.
    sent_at = h.at(32, 16)
    async with h.runtime.db.read() as session:
        letter_id = (
            await session.execute(
                select(Letter.id).where(Letter.kind == "strategy", Letter.person_id == person_id)
            )
        ).scalar_one()
    await notice.submit(
        Turn(h.ctx(sent_at), jo),
        {
            "sent_method": "post",
            "sent_on": sent_at.astimezone(h.runtime.settings.policy.zone).date().isoformat(),
        },
        {"letter_id": letter_id},
    )

    breached_at = h.at(6, 16, 5)
    ctx = h.ctx(breached_at + timedelta(minutes=20))
    sam = h.who("sam.rivers")
    form = await breach.form(Turn(ctx, sam), {"person_id": person_id})
    restriction = next(f for f in form.fields if f.id == "breached_restriction")
    await breach.submit(
        Turn(ctx, sam),
        context=form.context,
        submitted={
            "breach_about": "breach",
            "breached_restriction": restriction.options[0].value,
            "breach_occurred_at": int(breached_at.timestamp()),
            "breach_channel": "telephone",
            "breach_what_happened": (
                "Stayed on the line for 25 minutes after being reminded of the 10-minute "
                "limit. (Fictional demo record.)"
            ),
        },
    )
    return proposed.reference, review


async def _settle_history(h: _History, *, outbox_after: int, outbox_upto: int) -> None:
    """What happened before today was dealt with then: not sent again, not run again."""
    start_of_today = h.at(0, 0)
    async with h.runtime.db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id > outbox_after, OutboxMessage.id <= outbox_upto)
            .where(OutboxMessage.status == "pending")
            .values(status="skipped", last_error="demo history: treated as delivered at the time")
        )
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.status == "pending", ScheduledJob.due_at < start_of_today)
            .values(status="done")
        )


async def load(runtime: Runtime) -> str:
    """Write the demo history; say what was loaded (or that it already was)."""
    if await _already_loaded(runtime):
        return f"The demo history is already loaded ({MORGAN} is on file); nothing changed."
    zone = runtime.settings.policy.zone
    h = _History(runtime, await _staff(runtime), datetime.now(UTC).astimezone(zone).date())
    before = await _last_outbox_id(runtime)
    reference, review = await _morgan(h)
    await _settle_history(h, outbox_after=before, outbox_upto=await _last_outbox_id(runtime))

    now = datetime.now(UTC)
    await h.report(
        now - timedelta(hours=2),
        "sam.rivers",
        new_person_name=TAYLOR,
        occurred_at=int((now - timedelta(hours=2, minutes=30)).timestamp()),
        channel="social_media",
        behaviours=["abuse"],
        what_happened=(
            "Posted insulting comments naming a member of staff under the office's latest "
            "post. (Fictional demo record.)"
        ),
        actions_taken=["post_deleted"],
    )
    async with runtime.db.read() as session:
        taylor = (
            await session.execute(select(Person.reference).where(Person.name == TAYLOR))
        ).scalar_one()
    return (
        "Loaded the demo history (all fictional): "
        f"{reference} {MORGAN}: two incidents, a warning, a contact strategy in force "
        f"(review due {review:%d %b %Y}) and a breach; "
        f"{taylor} {TAYLOR}: an incident reported two hours ago. "
        "Open the web chat as Jo Fielding to see the new incident card, or type "
        f"'case {reference}' as anyone."
    )
