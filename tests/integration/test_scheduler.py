"""The scheduler through time travel: every reminder on its day, in office hours, once.

Runs on SQLite and PostgreSQL (the jobs and their claiming are storage behaviour).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.scheduler import run_due
from dialogs.office import PolicySettings
from dialogs.office_hours import is_open, next_opening
from storage import jobs as jobs_repo
from storage.db import Database
from storage.models import (
    ContactStrategy,
    OutboxMessage,
    PoliceReferral,
    Review,
    ScheduledJob,
    WelfareCheckIn,
)
from tests.backends import both_backends
from tests.dialog_world import make_world, on

MONDAY = date(2026, 11, 30)
POLICY = PolicySettings()


def test_office_hours_hold_reminders_to_the_next_working_opening() -> None:
    assert is_open(on(MONDAY, 9), POLICY)
    assert not is_open(on(MONDAY, 17), POLICY)  # closes at 17:00
    assert not is_open(on(MONDAY, 8, 59), POLICY)
    assert next_opening(on(MONDAY, 7), POLICY) == on(MONDAY, 9)
    assert next_opening(on(MONDAY, 12), POLICY) == on(MONDAY, 12)
    friday_evening = on(MONDAY + timedelta(days=4), 18)
    assert next_opening(friday_evening, POLICY) == on(MONDAY + timedelta(days=7), 9)
    saturday = on(MONDAY + timedelta(days=5), 11)
    assert not is_open(saturday, POLICY)
    assert next_opening(saturday, POLICY) == on(MONDAY + timedelta(days=7), 9)
    # British Summer Time: 09:00 London is 08:00 UTC in June.
    june = on(date(2026, 6, 1), 9)
    assert june.utcoffset() == timedelta(hours=1) and is_open(june, POLICY)


async def outbox_rows(db: Database, template: str) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.template == template)
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )


@both_backends
async def test_welfare_follow_up_fires_once_after_24_hours(db: Database) -> None:
    world = await make_world(db)
    await world.report(on(MONDAY, 10))
    runtime = world.runtime()
    assert await run_due(runtime, at=on(MONDAY + timedelta(days=1), 9, 59)) == []
    runs = await run_due(runtime, at=on(MONDAY + timedelta(days=1), 10))
    assert [(r.kind, r.outcome) for r in runs] == [("welfare_followup", "done")]
    assert "Sam Patel" in runs[0].summary
    assert await run_due(runtime, at=on(MONDAY + timedelta(days=2), 10)) == []  # never twice
    async with db.read() as session:
        kinds = (await session.execute(select(WelfareCheckIn.kind))).scalars().all()
    assert sorted(kinds) == ["after_incident", "follow_up"]
    follow_ups = [m for m in await outbox_rows(db, "welfare_checkin") if "now" in m.model["intro"]]
    assert len(follow_ups) == 1
    assert follow_ups[0].next_attempt_at == on(MONDAY + timedelta(days=1), 10)  # in hours


@both_backends
async def test_follow_up_falling_on_a_weekend_waits_for_monday(db: Database) -> None:
    world = await make_world(db)
    friday = MONDAY + timedelta(days=4)
    await world.report(on(friday, 16, 30))
    runs = await run_due(world.runtime(), at=on(friday + timedelta(days=1), 16, 30))
    assert [r.kind for r in runs] == ["welfare_followup"]
    follow_up = [m for m in await outbox_rows(db, "welfare_checkin") if "now" in m.model["intro"]]
    assert follow_up[0].next_attempt_at == on(MONDAY + timedelta(days=7), 9)


@both_backends
async def test_review_reminders_on_their_days_then_weekly_while_overdue(db: Database) -> None:
    world = await make_world(db)
    start = on(MONDAY, 10)
    strategy_id = await world.active_strategy(start, review_in_days=60)
    review_date = MONDAY + timedelta(days=60)
    runtime = world.runtime()
    fired: list[tuple[date, str]] = []
    day = MONDAY
    while day <= review_date + timedelta(days=22):
        for run in await run_due(runtime, at=on(day, 12)):
            assert run.outcome == "done", run
            fired.append((day, run.kind))
        day += timedelta(days=1)
    reminders = [d for d, kind in fired if kind == "review_reminder"]
    assert reminders == [
        review_date - timedelta(days=14),
        review_date - timedelta(days=3),
        review_date,
    ]
    overdue = [d for d, kind in fired if kind == "review_overdue"]
    assert overdue == [review_date + timedelta(days=7 * n) for n in (1, 2, 3)]
    # Each went to the proposer and both authorisers, at the office's opening time.
    messages = await outbox_rows(db, "review_due")
    assert len(messages) == 3 * (len(reminders) + len(overdue))
    assert all(is_open(m.next_attempt_at, POLICY) for m in messages)
    assert messages[0].model["when"] == "in 14 days"
    assert messages[0].model["strategy_id"] == strategy_id


@both_backends
async def test_a_review_overdue_four_weeks_goes_to_the_chief_executive(db: Database) -> None:
    """s7.1: a strategy is not left to run on unreviewed. From the configured number of
    weeks overdue (4) each weekly reminder also goes to the Chief Executive, who is not
    offered a "Start review" they would be refused."""
    world = await make_world(db)
    await world.active_strategy(on(MONDAY, 10), review_in_days=20)
    review_date = MONDAY + timedelta(days=20)
    runtime = world.runtime()
    summaries = []
    for week in range(6):
        for run in await run_due(runtime, at=on(review_date + timedelta(days=7 * week), 12)):
            if run.kind == "review_overdue":
                summaries.append(run.summary.split(";")[0])
    assert summaries == [
        "overdue review reminder queued for 3 people",
        "overdue review reminder queued for 3 people",
        "overdue review reminder queued for 3 people",
        "overdue review reminder queued for 4 people (escalated to the Chief Executive)",
        "overdue review reminder queued for 4 people (escalated to the Chief Executive)",
    ]
    casey = world.who("casey").id
    to_casey = [m for m in await outbox_rows(db, "review_due") if m.recipient_id == casey]
    assert [m.model["when"] for m in to_casey] == ["overdue by 28 days", "overdue by 35 days"]
    assert all(m.model["escalated"] and not m.model["may_review"] for m in to_casey)
    others = [m for m in await outbox_rows(db, "review_due") if m.recipient_id != casey]
    assert all(m.model.get("may_review", True) for m in others)


@both_backends
async def test_a_held_review_stops_the_overdue_reminders(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.active_strategy(on(MONDAY, 10), review_in_days=20)
    review_date = MONDAY + timedelta(days=20)
    runtime = world.runtime()
    await run_due(runtime, at=on(review_date, 12))
    async with db.write() as session:
        session.add(
            Review(
                strategy_id=strategy_id,
                outcome="continued",
                reasons="Still needed.",
                new_review_date=review_date + timedelta(days=90),
                reviewed_by_id=world.who("bea").id,
                created_at=on(review_date, 13),
            )
        )
    runs = await run_due(runtime, at=on(review_date + timedelta(days=7), 12))
    assert [(r.kind, r.summary) for r in runs] == [
        ("review_overdue", "skipped: a review has been held")
    ]


@both_backends
async def test_ended_strategy_gets_no_reminders(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.active_strategy(on(MONDAY, 10), review_in_days=20)
    async with db.write() as session:
        (await session.get(ContactStrategy, strategy_id)).status = "ended"
    runs = await run_due(world.runtime(), at=on(MONDAY + timedelta(days=30), 12))
    review_runs = [r for r in runs if r.kind.startswith("review")]
    assert len(review_runs) == 4  # three reminders and the first overdue check
    assert all(r.summary == "skipped: the strategy is no longer in force" for r in review_runs)
    assert await outbox_rows(db, "review_due") == []


@both_backends
async def test_police_referral_nudge_only_when_none_recorded(db: Database) -> None:
    world = await make_world(db)
    first = await world.report(on(MONDAY, 10), violence="yes")
    second = await world.report(on(MONDAY, 11), violence="yes")
    async with db.write() as session:
        session.add(
            PoliceReferral(
                person_id=1,
                incident_id=second,
                referred_on=MONDAY,
                police_reference="WK-1",
                recorded_by_id=world.who("jo").id,
            )
        )
    runs = await run_due(world.runtime(), at=on(MONDAY + timedelta(days=1), 12))
    nudges = {r.key: r.summary for r in runs if r.kind == "police_referral_nudge"}
    assert nudges[f"police-nudge:incident:{first}"] == "police referral reminder: sent to 1 people"
    assert nudges[f"police-nudge:incident:{second}"] == "skipped: a police referral is recorded"
    sent = await outbox_rows(db, "police_nudge")
    assert [m.recipient_id for m in sent] == [world.who("jo").id]
    # A reminder a day later, in office hours (the card itself went at once).
    assert sent[0].next_attempt_at == on(MONDAY + timedelta(days=1), 12)


@both_backends
async def test_police_referral_is_chased_at_1_3_and_7_days_then_escalated(db: Database) -> None:
    """s6, "we will always do this": the manager is reminded after 1, 3 and 7 days, in
    office hours, then the authorisers are told and may record why it is not reported;
    the ladder stops once that is recorded."""
    world = await make_world(db)
    runtime = world.runtime()
    await world.report(on(MONDAY, 16, 30), violence="yes")
    jo, alex, bea = world.who("jo").id, world.who("alex").id, world.who("bea").id

    async def step_at(day: int, hh: int) -> list[str]:
        runs = await run_due(runtime, at=on(MONDAY + timedelta(days=day), hh))
        return [r.summary for r in runs if r.kind == "police_referral_nudge"]

    # One day on is Tuesday 16:30, within hours; three days on, Thursday 16:30.
    assert await step_at(1, 16) == []
    assert await step_at(1, 17) == ["police referral reminder: sent to 1 people"]
    assert await step_at(3, 17) == ["police referral reminder: sent to 1 people"]
    # Seven days on is the next Monday 16:30.
    assert await step_at(7, 16) == []
    assert await step_at(7, 17) == ["police referral reminder: sent to 1 people"]
    # Ten days on is Thursday 16:30: Jo again, and both authorisers (never the reporter).
    assert await step_at(10, 17) == [
        "police referral escalated to the authorisers: sent to 3 people"
    ]
    assert await step_at(30, 12) == []  # the ladder ends there
    sent = await outbox_rows(db, "police_nudge")
    assert [m.recipient_id for m in sent] == [jo, jo, jo, jo, alex, bea]
    assert [m.model["escalated"] for m in sent] == [False] * 3 + [True] * 3
    # Only an authoriser is offered "Not reporting to police".
    assert [m.model["may_decide_not"] for m in sent] == [False] * 4 + [True, True]
    assert "reported 10 days ago" in sent[-1].model["said"]
    assert "now comes to the authorisers" in sent[-1].model["said"]
    assert all(is_open(m.next_attempt_at, POLICY) for m in sent)

    # Another report, whose referral an authoriser decides is not being made: the chase
    # stops at its next step.
    second = await world.report(on(MONDAY, 10), violence="yes")
    from dialogs.incident import follow_up
    from dialogs.interactions import Turn

    await follow_up.submit_not_referred(
        Turn(world.ctx(on(MONDAY, 11)), world.who("bea")),
        {"not_referred_reason": "The police were called to the office and took a statement."},
        {"incident_id": second},
    )
    runs = await run_due(runtime, at=on(MONDAY + timedelta(days=1), 12))
    assert [r.summary for r in runs if r.kind == "police_referral_nudge"] == [
        "skipped: an authoriser recorded why it is not being reported"
    ]


@both_backends
async def test_undecided_authorisation_nudges_after_the_configured_hours(db: Database) -> None:
    world = await make_world(db)
    from dialogs.interactions import Turn
    from dialogs.strategy import propose as strategy_dialog
    from tests.dialog_world import CRITERIA

    now = on(MONDAY, 10)
    incident_id = await world.report(now)
    ctx = world.ctx(now)
    spec = await strategy_dialog.proposal_form(
        Turn(ctx, world.who("jo")), {"incident_id": incident_id}
    )
    await strategy_dialog.propose(
        ctx,
        actor=world.who("jo"),
        context=spec.context,
        submitted={
            "restrictions": ["call_limit"],
            "call_minutes": "5",
            "reasons": "R",
            "incidents": [str(incident_id)],
            "warning_given": "no",
            "no_warning_reason": "An immediate risk to staff.",
            "shortcomings_addressed": "We now write every two weeks with an update.",
            "adjustments": "A",
            "criteria": list(CRITERIA),
            **{f"criterion_{c}": "n" for c in CRITERIA},
            "review_date": (MONDAY + timedelta(days=30)).isoformat(),
            "letter_channel": "letter",
            "letter_format": "standard",
            "public_summary": "We are changing how you can contact us, for a while.",
        },
    )
    runtime = world.runtime()
    hours = world.settings.policy.authorisation_nudge_hours
    assert [r.kind for r in await run_due(runtime, at=now + timedelta(hours=hours - 1))] == [
        "welfare_followup"
    ]
    runs = await run_due(runtime, at=now + timedelta(hours=hours))
    assert [(r.kind, r.outcome) for r in runs] == [("authorisation_nudge", "done")]
    nudges = await outbox_rows(db, "authorisation_nudge")
    assert {m.recipient_id for m in nudges} == {world.who("alex").id, world.who("bea").id}
    assert nudges[0].model["hours"] == hours


@both_backends
async def test_scheduling_the_same_key_twice_stores_it_once(db: Database) -> None:
    async with db.write() as session:
        for _ in range(3):
            await jobs_repo.schedule(
                session,
                key="k:1",
                kind="welfare_followup",
                due_at=on(MONDAY, 9),
                payload={"staff_id": 1},
            )
    async with db.read() as session:
        assert (
            await session.execute(select(func.count()).select_from(ScheduledJob))
        ).scalar_one() == 1


@both_backends
async def test_a_failing_job_is_retried_then_marked_failed(db: Database) -> None:
    world = await make_world(db)
    async with db.write() as session:
        await jobs_repo.schedule(
            session, key="mystery", kind="no_such_kind", due_at=on(MONDAY, 9), payload={}
        )
    runs = await run_due(world.runtime(), at=on(MONDAY, 10))
    assert [(r.key, r.outcome) for r in runs] == [("mystery", "failed")]
    assert "no handler" in runs[0].summary


@both_backends
async def test_two_schedulers_at_once_run_each_job_exactly_once(db: Database) -> None:
    """Two replicas' scheduler passes racing over hundreds of due jobs (SKIP LOCKED)."""
    world = await make_world(db)
    sam = world.who("sam")
    async with db.write() as session:
        for n in range(300):
            await jobs_repo.schedule(
                session,
                key=f"followup:{n}",
                kind="welfare_followup",
                due_at=on(MONDAY, 9),
                payload={"staff_id": sam.id},
            )
    other = Database(str(db.url))
    try:
        first = world.runtime()
        second = world.runtime()
        second.db = other
        results = await asyncio.gather(
            run_due(first, at=on(MONDAY, 10)), run_due(second, at=on(MONDAY, 10))
        )
    finally:
        await other.dispose()
    keys = [r.key for batch in results for r in batch]
    assert len(keys) == 300 and len(set(keys)) == 300
    async with db.read() as session:
        checkins = (
            await session.execute(select(func.count()).select_from(WelfareCheckIn))
        ).scalar_one()
        pending = (
            await session.execute(
                select(func.count()).select_from(ScheduledJob).where(ScheduledJob.status != "done")
            )
        ).scalar_one()
    assert checkins == 300 and pending == 0
