"""Retention: personal data kept no longer than needed (s9; UK GDPR Art. 5(1)(e)).

Two clocks:

- A member of the public's case is anonymised `retention_years` (default 6) after
  their last activity: the latest of anything recorded on the case, including the end
  of their last contact strategy. A strategy still in force or awaiting a decision is
  activity that has not ended, and an open subject access request holds the purge back
  (the data must not vanish while a request for it is being answered).
- Welfare check-ins are the staff member's own (Appendix A) and are deleted
  `welfare_retention_months` (default 12) after they were made.

Anonymise or delete, table by table:

- Rows that carry the facts the office must still be able to count and audit are kept
  and their personal content replaced: the person (reference kept, name, needs,
  adjustments and advocate removed), incidents (channel, behaviour categories and dates
  kept for the oversight report's year-on-year figures; what happened, impact and needs
  removed), warnings, police referrals, strategies and restrictions, authorisations,
  reviews, breaches, disputes, contact logs, sharing requests and disclosures. The
  audit trail names these rows by id and the case by reference only, so it never
  needs to change, and `audit verify` passes after a purge.
- Rows that are nothing but personal content are deleted: letters (the whole body is
  the person's name, address and circumstances; the audit trail already records that a
  letter was sent, and when), the outbox messages that carried the person's case to
  staff, welfare check-ins and the messages that carried them.
- Subject access requests are kept: dates and outcome only, they are the evidence that
  the office met its deadlines.

Everything happens in the caller's transaction with one audit event, so a purge is all
or nothing. A dry run computes the same plan and changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.office import PolicySettings
from dialogs.policy_map import carries
from dialogs.records.months import months_before, years_before
from storage import audit
from storage.models import (
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    Incident,
    Letter,
    OutboxMessage,
    Person,
    PoliceReferral,
    Restriction,
    Review,
    SharingRequest,
    SubjectAccessRequest,
    Warning,
    WelfareCheckIn,
)

REMOVED = "[removed under the retention policy]"
ANONYMISED_NAME = "(anonymised)"
# Strategies that are not over: their person's activity has not ended.
LIVE_STRATEGY = ("active", "pending")
# Messages whose whole content is a staff member's welfare (Appendix A).
WELFARE_TEMPLATES = ("welfare_checkin", "support", "talk_request")


@dataclass(frozen=True)
class PersonPurge:
    person_id: int
    reference: str
    last_activity: datetime
    # What happens to their rows: table -> number of rows anonymised or deleted.
    anonymised: dict[str, int]
    deleted: dict[str, int]


@dataclass(frozen=True)
class Plan:
    now: datetime
    cutoff: datetime
    welfare_cutoff: datetime
    people: tuple[PersonPurge, ...]
    held_by_request: tuple[str, ...]
    welfare_checkins: int
    welfare_messages: int
    outbox_ids: tuple[int, ...] = field(default=(), repr=False)
    welfare_checkin_ids: tuple[int, ...] = field(default=(), repr=False)
    welfare_message_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def empty(self) -> bool:
        return not (self.people or self.welfare_checkins or self.welfare_messages)

    def describe(self, zone: tzinfo) -> list[str]:
        """What the purge will do (or did), in lines an operator can read before it runs."""
        cut = self.cutoff.astimezone(zone).date()
        wcut = self.welfare_cutoff.astimezone(zone).date()
        lines = [
            f"Cases with no activity since before {cut} are anonymised; "
            f"welfare check-ins from before {wcut} are deleted."
        ]
        if not self.people:
            lines.append("No case is past its retention period.")
        for p in self.people:
            changed = ", ".join(f"{n} {t}" for t, n in p.anonymised.items() if n)
            gone = ", ".join(f"{n} {t}" for t, n in p.deleted.items() if n)
            lines.append(
                f"  {p.reference}: last activity {p.last_activity.astimezone(zone).date()}; "
                f"anonymise {changed or 'the person only'}" + (f"; delete {gone}" if gone else "")
            )
        for reference in self.held_by_request:
            lines.append(
                f"  {reference}: past its retention period but kept while its subject "
                "access request is open"
            )
        lines.append(
            f"Welfare: delete {self.welfare_checkins} check-ins and "
            f"{self.welfare_messages} messages that carried them."
        )
        return lines


def _activity_queries() -> list[Any]:
    """One max() per column that records something happening on a case, by person."""
    direct = [
        (Person.id, Person.created_at),
        (Person.id, Person.last_activity_at),
        (Incident.person_id, Incident.occurred_at),
        (Incident.person_id, Incident.created_at),
        (Incident.person_id, Incident.acknowledged_at),
        (Warning.person_id, Warning.created_at),
        (PoliceReferral.person_id, PoliceReferral.created_at),
        (ContactLog.person_id, ContactLog.occurred_at),
        (ContactLog.person_id, ContactLog.created_at),
        (SharingRequest.person_id, SharingRequest.created_at),
        (Letter.person_id, Letter.created_at),
        (ContactStrategy.person_id, ContactStrategy.created_at),
        (ContactStrategy.person_id, ContactStrategy.activated_at),
        (ContactStrategy.person_id, ContactStrategy.ended_at),
    ]
    queries = [
        select(pid.label("pid"), func.max(col).label("latest")).group_by(pid) for pid, col in direct
    ]
    # Rows that reach their person through a strategy or a sharing request.
    strategy = (ContactStrategy, ContactStrategy.person_id)
    sharing = (SharingRequest, SharingRequest.person_id)
    indirect = [
        (strategy, Breach, Breach.strategy_id, Breach.occurred_at),
        (strategy, Breach, Breach.strategy_id, Breach.created_at),
        (strategy, Review, Review.strategy_id, Review.created_at),
        (strategy, Dispute, Dispute.strategy_id, Dispute.created_at),
        (strategy, Dispute, Dispute.strategy_id, Dispute.decided_at),
        (strategy, Authorisation, Authorisation.strategy_id, Authorisation.created_at),
        (strategy, Authorisation, Authorisation.strategy_id, Authorisation.decided_at),
        (sharing, Authorisation, Authorisation.sharing_request_id, Authorisation.created_at),
        (sharing, Authorisation, Authorisation.sharing_request_id, Authorisation.decided_at),
        (sharing, Disclosure, Disclosure.sharing_request_id, Disclosure.disclosed_at),
    ]
    for (parent, pid), table, link, col in indirect:
        queries.append(
            select(pid.label("pid"), func.max(col).label("latest"))
            .select_from(table)
            .join(parent, parent.id == link)
            .group_by(pid)
        )
    return queries


async def last_activity(session: AsyncSession) -> dict[int, datetime]:
    """Each person's latest recorded activity, across every table that touches their case.

    A subject access request is not activity: asking for one's data must not make the
    office keep it longer.
    """
    latest: dict[int, datetime] = {}
    for query in _activity_queries():
        for pid, when in (await session.execute(query)).all():
            if when is not None and (pid not in latest or when > latest[pid]):
                latest[pid] = when
    return latest


async def _ids(session: AsyncSession, stmt: Any) -> list[int]:
    return list((await session.execute(stmt)).scalars())


async def _case_rows(session: AsyncSession, person_ids: list[int]) -> dict[str, Any]:
    """The ids of the rows other tables hang from, on these cases."""
    strategies = await _ids(
        session, select(ContactStrategy.id).where(ContactStrategy.person_id.in_(person_ids))
    )
    sharing = await _ids(
        session, select(SharingRequest.id).where(SharingRequest.person_id.in_(person_ids))
    )
    return {
        "strategies": strategies,
        "sharing": sharing,
        "letters": await _ids(session, select(Letter.id).where(Letter.person_id.in_(person_ids))),
        "incidents": await _ids(
            session, select(Incident.id).where(Incident.person_id.in_(person_ids))
        ),
    }


_REF_IN_TEXT = "(?<![0-9A-Za-z]){}(?![0-9])"


async def _outbox_mentioning(
    session: AsyncSession, *, reference: str, letter_ids: list[int]
) -> list[int]:
    """Outbox messages that carried this case: they name its reference or hold its letters.

    A LIKE on the JSON text narrows the rows on both databases; the exact match (so that
    SC-2026-00004 does not catch SC-2026-00042) is made here.
    """
    conditions = [cast(OutboxMessage.model, Text).contains(reference, autoescape=True)]
    if letter_ids:
        conditions.append(OutboxMessage.letter_id.in_(letter_ids))
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.model, OutboxMessage.letter_id).where(
            or_(*conditions)
        )
    )
    exact = re.compile(_REF_IN_TEXT.format(re.escape(reference)))
    found = []
    for message_id, model, letter_id in rows.all():
        if letter_id in letter_ids or exact.search(json.dumps(model, ensure_ascii=False)):
            found.append(message_id)
    return found


async def _count(session: AsyncSession, column: Any, ids: Iterable[int]) -> int:
    ids = list(ids)
    if not ids:
        return 0
    return (await session.execute(select(func.count()).where(column.in_(ids)))).scalar_one()


async def plan(session: AsyncSession, *, now: datetime, policy: PolicySettings) -> Plan:
    """What a purge at `now` would anonymise and delete; reads only."""
    zone = policy.zone
    cutoff = years_before(now, policy.retention_years, zone)
    welfare_cutoff = months_before(now, policy.welfare_retention_months, zone)
    latest = await last_activity(session)
    live = set(
        await _ids(
            session,
            select(ContactStrategy.person_id).where(ContactStrategy.status.in_(LIVE_STRATEGY)),
        )
    )
    requested = set(
        await _ids(
            session,
            select(SubjectAccessRequest.person_id).where(SubjectAccessRequest.status == "open"),
        )
    )
    candidates = (
        await session.execute(
            select(Person).where(Person.anonymised_at.is_(None)).order_by(Person.reference)
        )
    ).scalars()
    people: list[PersonPurge] = []
    held: list[str] = []
    outbox_ids: list[int] = []
    for person in candidates:
        when = latest.get(person.id, person.created_at)
        if when >= cutoff or person.id in live:
            continue
        if person.id in requested:
            held.append(person.reference)
            continue
        rows = await _case_rows(session, [person.id])
        strategies, sharing, letters = rows["strategies"], rows["sharing"], rows["letters"]
        messages = await _outbox_mentioning(session, reference=person.reference, letter_ids=letters)
        outbox_ids += messages
        anonymised = {
            "incidents": len(rows["incidents"]),
            "warnings": await _count(session, Warning.person_id, [person.id]),
            "police referrals": await _count(session, PoliceReferral.person_id, [person.id]),
            "strategies": len(strategies),
            "restrictions": await _count(session, Restriction.strategy_id, strategies),
            "authorisations": await _count(session, Authorisation.strategy_id, strategies)
            + await _count(session, Authorisation.sharing_request_id, sharing),
            "reviews": await _count(session, Review.strategy_id, strategies),
            "breaches": await _count(session, Breach.strategy_id, strategies),
            "disputes": await _count(session, Dispute.strategy_id, strategies),
            "contact logs": await _count(session, ContactLog.person_id, [person.id]),
            "sharing requests": len(sharing),
            "disclosures": await _count(session, Disclosure.sharing_request_id, sharing),
        }
        deleted = {"letters": len(letters), "outbox messages": len(messages)}
        people.append(PersonPurge(person.id, person.reference, when, anonymised, deleted))
    welfare_checkin_ids = await _ids(
        session, select(WelfareCheckIn.id).where(WelfareCheckIn.created_at < welfare_cutoff)
    )
    welfare_message_ids = [
        i
        for i in await _ids(
            session,
            select(OutboxMessage.id).where(
                OutboxMessage.template.in_(WELFARE_TEMPLATES),
                OutboxMessage.created_at < welfare_cutoff,
            ),
        )
        if i not in set(outbox_ids)
    ]
    return Plan(
        now=now,
        cutoff=cutoff,
        welfare_cutoff=welfare_cutoff,
        people=tuple(people),
        held_by_request=tuple(held),
        welfare_checkins=len(welfare_checkin_ids),
        welfare_messages=len(welfare_message_ids),
        outbox_ids=tuple(outbox_ids),
        welfare_checkin_ids=tuple(welfare_checkin_ids),
        welfare_message_ids=tuple(welfare_message_ids),
    )


async def apply(session: AsyncSession, plan: Plan, *, actor: str) -> None:
    """Carry out a plan in the caller's transaction, with its audit event."""
    person_ids = [p.person_id for p in plan.people]
    if person_ids:
        rows = await _case_rows(session, person_ids)
        strategies, sharing, letters = rows["strategies"], rows["sharing"], rows["letters"]
        await session.execute(
            update(Person)
            .where(Person.id.in_(person_ids))
            .values(
                name=ANONYMISED_NAME,
                additional_needs="",
                reasonable_adjustments="",
                advocate_name=None,
                advocate_contact=None,
                anonymised_at=plan.now,
            )
        )
        await session.execute(
            update(Incident)
            .where(Incident.person_id.in_(person_ids))
            .values(what_happened=REMOVED, impact="", known_needs="")
        )
        await session.execute(
            update(Warning)
            .where(Warning.person_id.in_(person_ids))
            .values(behaviour_to_change=REMOVED)
        )
        await session.execute(
            update(PoliceReferral)
            .where(PoliceReferral.person_id.in_(person_ids))
            .values(police_reference=REMOVED)
        )
        for strategy in (
            await session.execute(select(ContactStrategy).where(ContactStrategy.id.in_(strategies)))
        ).scalars():
            # The five s7 criteria stay attested (their keys); the notes go.
            strategy.reasons = REMOVED
            strategy.no_warning_reason = ""
            strategy.adjustments_considered = ""
            strategy.criteria = {key: "" for key in strategy.criteria}
            strategy.unusable_methods = []
        if strategies:
            await session.execute(
                update(Restriction)
                .where(Restriction.strategy_id.in_(strategies))
                .values(email_address=None, advocate_name=None, advocate_contact=None)
            )
            await session.execute(
                update(Review).where(Review.strategy_id.in_(strategies)).values(reasons=REMOVED)
            )
            await session.execute(
                update(Breach).where(Breach.strategy_id.in_(strategies)).values(description=REMOVED)
            )
            await session.execute(
                update(Dispute)
                .where(Dispute.strategy_id.in_(strategies))
                .values(grounds=REMOVED, outcome_reasons="")
            )
        await session.execute(
            update(Authorisation)
            .where(
                or_(
                    Authorisation.strategy_id.in_(strategies),
                    Authorisation.sharing_request_id.in_(sharing),
                )
            )
            .values(decision_reason="")
        )
        await session.execute(
            update(ContactLog).where(ContactLog.person_id.in_(person_ids)).values(summary=REMOVED)
        )
        await session.execute(
            update(SharingRequest)
            .where(SharingRequest.person_id.in_(person_ids))
            .values(agency=REMOVED, what=REMOVED, reason_detail="")
        )
        if sharing:
            await session.execute(
                update(Disclosure).where(Disclosure.sharing_request_id.in_(sharing)).values(note="")
            )
        # Messages first: they point at the letters.
        if plan.outbox_ids:
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.id.in_(plan.outbox_ids))
            )
        if letters:
            await session.execute(delete(Letter).where(Letter.id.in_(letters)))
    if plan.welfare_message_ids:
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.id.in_(plan.welfare_message_ids))
        )
    if plan.welfare_checkin_ids:
        await session.execute(
            delete(WelfareCheckIn).where(WelfareCheckIn.id.in_(plan.welfare_checkin_ids))
        )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="retention.purged",
        entity_type="retention",
        entity_id=plan.now.date().isoformat(),
        detail={
            "cutoff": plan.cutoff,
            "welfare_cutoff": plan.welfare_cutoff,
            "cases": [p.reference for p in plan.people],
            "held_by_subject_access_request": list(plan.held_by_request),
            "letters_deleted": sum(p.deleted["letters"] for p in plan.people),
            "outbox_messages_deleted": len(plan.outbox_ids) + len(plan.welfare_message_ids),
            "welfare_checkins_deleted": len(plan.welfare_checkin_ids),
        },
        at=plan.now,
    )


async def purge(
    session: AsyncSession,
    *,
    now: datetime,
    policy: PolicySettings,
    actor: str,
    dry_run: bool = False,
) -> Plan:
    """Plan, and unless it is a dry run, carry the plan out in the caller's transaction."""
    planned = await plan(session, now=now, policy=policy)
    if not dry_run:
        await apply(session, planned, actor=actor)
    return planned


POLICY = (
    carries(
        "9",
        "Retention: a case is anonymised six years (configurable) after its last activity or "
        "the end of its last strategy, in one audited transaction, with a dry run first "
        "(`safecontact retention purge`), and monthly through the scheduler.",
        "tests/test_records_retention.py::test_a_dry_run_changes_nothing",
        "tests/test_records_retention.py::test_purge_removes_exactly_the_expired_data_and_audit_still_verifies",
        "tests/test_records_retention.py::test_the_monthly_jobs_are_stored_once_and_run_the_purge",
    ),
    carries(
        "A",
        "Welfare check-in answers are deleted after their own shorter period (12 months by "
        "default), with the messages that carried them.",
        "tests/test_records_retention.py::test_purge_removes_exactly_the_expired_data_and_audit_still_verifies",
    ),
)
