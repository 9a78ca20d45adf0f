"""Seeding for the records tests: a person with every kind of record, at a chosen time.

Incidents, warnings, police referrals, strategies and their letters go through the real
dialogs (dialogs/incident, dialogs/strategy, dialogs/authorisation) with the
clock set by the test; the monitoring records (breach, review, dispute, contact log,
sharing and its disclosure) are written as rows, as
tests/integration/test_case_show.py does, so these tests do not depend on the forms of
flows being built alongside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select, text, update

from dialogs.incident import follow_up
from dialogs.interactions import Turn
from storage import audit
from storage.db import AsyncSession, Database
from storage.models import (
    Authorisation,
    Base,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    FurtherAction,
    Incident,
    Matter,
    OutboxMessage,
    Person,
    Review,
    SharingRequest,
    WelfareCheckIn,
)
from tests.dialog_world import World

HOSTILE = "<script>alert('x')</script> & <b>bold</b>"
# Distinctive, so "not in the export" cannot pass by accident.
WELFARE_STEP = "electoral_register"
STAFF_IN_TEXT = "Said Jo Reed would regret it; copied bea@example.org."


@dataclass(frozen=True)
class Seeded:
    person_id: int
    reference: str
    incident_id: int
    strategy_id: int


async def full_history(
    world: World, now: datetime, *, name: str = "Morgan Example", needs: str = "Dyslexia"
) -> Seeded:
    """One person with every kind of record the case file holds, the last at `now`."""
    day = timedelta(days=1)
    async with world.db.read() as s:
        first_message = (await s.execute(select(func.max(OutboxMessage.id)))).scalar() or 0
    incident_id = await world.report(
        now - 5 * day,
        new_person_name=name,
        what_happened=f"{STAFF_IN_TEXT} {HOSTILE}",
        impact="Felt shaken.",
        known_needs=needs,
        behaviours=["abuse", "demand_updates"],
        violence="yes",
    )
    jo = world.who("jo")
    warned_at = now - 4 * day
    as_jo, about = Turn(world.ctx(warned_at), jo), {"incident_id": incident_id}
    warning = {
        "warning_kind": "written",
        "given_on": warned_at.date().isoformat(),
        "behaviour_to_change": "Stop shouting at staff.",
    }
    await follow_up.submit_warning(as_jo, warning, about)
    referral = {"referred_on": warned_at.date().isoformat(), "police_reference": "WK-55"}
    await follow_up.submit_police(as_jo, referral, about)
    strategy_id = await world.active_strategy(now - 3 * day, incident_id=incident_id)
    sam, bea, casey = world.who("sam"), world.who("bea"), world.who("casey")
    async with world.db.write() as s:
        strategy = await s.get(ContactStrategy, strategy_id)
        assert strategy is not None
        person_id = strategy.person_id
        sharing = SharingRequest(
            person_id=person_id,
            strategy_id=strategy_id,
            agency="Adult Social Care",
            what="The contact strategy",
            reason_kind="safeguarding",
            reason_detail="Visits at home",
            requested_by_id=jo.id,
            created_at=now - 2 * day,
        )
        s.add(sharing)
        await s.flush()
        s.add_all(
            [
                Authorisation(
                    kind="sharing",
                    sharing_request_id=sharing.id,
                    requested_by_id=jo.id,
                    status="approved",
                    decided_by_id=bea.id,
                    decided_at=now - 2 * day + timedelta(hours=3),
                    decision_reason="Safeguarding: legitimate",
                    created_at=now - 2 * day,
                ),
                Disclosure(
                    sharing_request_id=sharing.id,
                    disclosed_by_id=jo.id,
                    disclosed_at=now - day,
                    note="Sent by secure email",
                ),
                Breach(
                    strategy_id=strategy_id,
                    occurred_at=now - 2 * day,
                    channel="telephone",
                    description="Rang the switchboard twice.",
                    recorded_by_id=sam.id,
                    created_at=now - 2 * day,
                ),
                ContactLog(
                    person_id=person_id,
                    strategy_id=strategy_id,
                    channel="email",
                    summary="Asked about an unrelated complaint.",
                    new_complaint=True,
                    logged_by_id=sam.id,
                    occurred_at=now - day,
                    created_at=now - day,
                ),
                Matter(
                    person_id=person_id,
                    summary="Asked about an unrelated complaint.",
                    raised_at=now - day,
                    recorded_by_id=sam.id,
                    created_at=now - day,
                ),
                FurtherAction(
                    person_id=person_id,
                    kind="legal_advice_sought",
                    taken_on=(now - day).date(),
                    details="Asked counsel about an injunction.",
                    recorded_by_id=casey.id,
                    created_at=now - day,
                ),
                Dispute(
                    strategy_id=strategy_id,
                    received_on=(now - 2 * day).date(),
                    grounds="Says the limit is unfair.",
                    recorded_by_id=sam.id,
                    decider_id=casey.id,
                    outcome="upheld",
                    outcome_reasons="The limit is proportionate.",
                    decided_at=now - day,
                    created_at=now - 2 * day,
                ),
                Review(
                    strategy_id=strategy_id,
                    outcome="continued",
                    reasons="Still needed.",
                    new_review_date=strategy.review_date,
                    reviewed_by_id=bea.id,
                    created_at=now,
                ),
            ]
        )
        # The reporter's welfare answers: theirs, never the case's (Appendix A).
        checkin = (
            await s.execute(
                select(WelfareCheckIn)
                .join(Incident, Incident.id == WelfareCheckIn.incident_id)
                .where(Incident.id == incident_id)
            )
        ).scalar_one()
        checkin.answer = "talk"
        checkin.answered_at = now - 5 * day
        checkin.privacy_steps_done = [WELFARE_STEP]
        # As the welfare flow would: the answer is audited, so `audit verify` finds the
        # row in the state its last event recorded.
        await audit.record(
            s,
            actor=f"staff:{checkin.staff_id}",
            action="welfare.answered",
            entity_type="welfare_checkin",
            entity=checkin,
            at=now - 5 * day,
        )
        person = await s.get(Person, person_id)
        assert person is not None
        reference = person.reference
        # The outbox stamps its rows with the real clock; these were sent at `now`.
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id > first_message)
            .values(created_at=now, next_attempt_at=now)
        )
    return Seeded(person_id, reference, incident_id, strategy_id)


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: to prove nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.read() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = await _rows(s, table)
        # Alembic's own table is not in the metadata, and must not change either.
        out["alembic_version"] = list(
            (await s.execute(text("SELECT version_num FROM alembic_version"))).all()
        )
    return out


async def _rows(s: AsyncSession, table: Table) -> list[tuple[Any, ...]]:
    order = list(table.primary_key.columns)
    return [tuple(r) for r in (await s.execute(select(table).order_by(*order))).all()]
