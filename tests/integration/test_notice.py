"""Notice before effect through time (s6, s7, s7.1), on SQLite and PostgreSQL.

A strategy is approved, then in force only once its letter is recorded as sent (or on
the later day its authoriser set); while its letter is unsent its proposer is reminded
each working day in office hours; its review date is counted from the day it took effect.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.scheduler import run_due
from dialogs.office import PolicySettings
from dialogs.office_hours import is_open
from storage.db import Database
from storage.models import AuditEvent, ContactStrategy, OutboxMessage, ScheduledJob
from tests.backends import both_backends
from tests.dialog_world import make_world, on

MONDAY = date(2026, 11, 30)
POLICY = PolicySettings()


async def strategy(db: Database, strategy_id: int) -> ContactStrategy:
    async with db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        assert found is not None
        return found


async def messages(db: Database, template: str) -> list[OutboxMessage]:
    async with db.read() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.template == template)
        return list((await session.execute(stmt.order_by(OutboxMessage.id))).scalars())


@both_backends
async def test_reminders_while_the_letter_is_unsent_in_office_hours(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.approved_strategy(on(MONDAY, 10), review_in_days=60)
    assert (await strategy(db, strategy_id)).status == "approved"
    ready = await messages(db, "letter_ready")
    assert len(ready) == 1 and ready[0].model["awaiting"] is True  # the card with the button
    runtime = world.runtime()
    assert await run_due(runtime, at=on(MONDAY, 16, 59)) == []  # not the same day
    fired: list[tuple[date, str]] = []
    for offset in range(1, 5):  # Tuesday to Friday; the letter goes on Wednesday
        day = MONDAY + timedelta(days=offset)
        if offset == 2:
            for run in await run_due(runtime, at=on(day, 9)):
                fired.append((day, run.summary))
            await world.send_letter(on(day, 11), strategy_id)
            continue
        for run in await run_due(runtime, at=on(day, 12)):
            fired.append((day, run.summary))
    reminded = [d for d, summary in fired if summary.startswith("reminded")]
    assert reminded == [MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    assert (MONDAY + timedelta(days=3), "skipped: the letter has been sent") in fired
    reminders = [m for m in await messages(db, "letter_ready") if m.model["reminder"]]
    assert len(reminders) == 2
    assert all(is_open(m.next_attempt_at, POLICY) for m in reminders)
    assert all(m.model["reference"].startswith("SC-") for m in reminders)
    # Nothing left that would remind again.
    assert [
        r
        for r in await run_due(runtime, at=on(MONDAY + timedelta(days=14), 12))
        if r.kind == "letter_unsent"
    ] == []


@both_backends
async def test_the_effective_date_drives_the_review_reminders(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.approved_strategy(on(MONDAY, 10), review_in_days=60)
    runtime = world.runtime()
    # Not in force, so no review is counted or reminded while the letter waits.
    async with db.read() as session:
        kinds = (await session.execute(select(ScheduledJob.kind))).scalars().all()
    assert "review_reminder" not in kinds and "review_overdue" not in kinds
    sent_day = MONDAY + timedelta(days=10)
    note = await world.send_letter(on(sent_day, 10), strategy_id)
    assert "now in force" in note
    found = await strategy(db, strategy_id)
    review_date = sent_day + timedelta(days=60)
    assert found.status == "active" and found.review_date == review_date
    fired: list[date] = []
    day = sent_day
    while day <= review_date:
        for run in await run_due(runtime, at=on(day, 12)):
            if run.kind == "review_reminder":
                fired.append(day)
        day += timedelta(days=1)
    assert fired == [review_date - timedelta(days=14), review_date - timedelta(days=3), review_date]
    async with db.read() as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "strategy.in_force")
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 1


@both_backends
async def test_a_review_set_14_days_out_is_reminded_the_day_it_takes_effect(
    db: Database,
) -> None:
    """s7.1: reminders fall 14, 3 and 0 days before the review; the first falls on the
    day the letter goes when the review is set 14 days out, and it says what is left."""
    world = await make_world(db)
    strategy_id = await world.approved_strategy(on(MONDAY, 10), review_in_days=14)
    await world.send_letter(on(MONDAY, 11), strategy_id)
    runs = await run_due(world.runtime(), at=on(MONDAY, 11, 5))
    assert [r.summary for r in runs if r.kind == "review_reminder"] == [
        "review reminder (in 14 days) queued for 3 people"
    ], runs
    reminders = await messages(db, "review_due")
    assert len(reminders) == 3  # one each: the proposer and the authorisers
    assert {m.model["when"] for m in reminders} == {"in 14 days"}


@both_backends
async def test_approve_from_a_date_waits_for_that_day_and_for_the_letter(db: Database) -> None:
    world = await make_world(db)
    start = MONDAY + timedelta(days=3)
    strategy_id = await world.approved_strategy(
        on(MONDAY, 10), review_in_days=60, takes_effect_on=start
    )
    # Sent on Tuesday: still not in force before the authoriser's day.
    note = await world.send_letter(on(MONDAY + timedelta(days=1), 10), strategy_id)
    assert "takes effect on" in note
    assert (await strategy(db, strategy_id)).status == "approved"
    runtime = world.runtime()
    await run_due(runtime, at=on(start - timedelta(days=1), 23, 59))
    assert (await strategy(db, strategy_id)).status == "approved"
    runs = await run_due(runtime, at=on(start, 0, 1))
    assert [r.kind for r in runs if r.kind == "strategy_takes_effect"] == ["strategy_takes_effect"]
    found = await strategy(db, strategy_id)
    assert found.status == "active" and found.review_date == start + timedelta(days=60)
    # Staff are told only now; Jo proposed it and was not there when it took effect, so
    # she is told, once (she is also the reporter's manager).
    told = [m.recipient_id for m in await messages(db, "strategy_in_force")]
    assert told == [world.who("jo").id]


@both_backends
async def test_a_letter_sent_after_the_authorisers_day_starts_it_that_day(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.approved_strategy(
        on(MONDAY, 10), review_in_days=60, takes_effect_on=MONDAY + timedelta(days=1)
    )
    runtime = world.runtime()
    await run_due(runtime, at=on(MONDAY + timedelta(days=2), 12))
    assert (await strategy(db, strategy_id)).status == "approved"  # never before the letter
    sent_day = MONDAY + timedelta(days=3)
    await world.send_letter(on(sent_day, 10), strategy_id)
    found = await strategy(db, strategy_id)
    assert found.status == "active" and found.review_date == sent_day + timedelta(days=60)
