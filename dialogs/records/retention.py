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

Everything happens in the caller's change with one audit event, so a purge is all or
nothing. A dry run computes the same plan and changes nothing. The rules (who is due,
what is blanked) are in retention_rules.py; the queries in storage/retention.py.
"""

from __future__ import annotations

from datetime import datetime

from dialogs.change import Change, Named
from dialogs.kinds import AuditAction
from dialogs.office import PolicySettings
from dialogs.policy_map import carries
from dialogs.records.retention_rules import (
    LIVE_STRATEGY,
    WELFARE_TEMPLATES,
    Due,
    PersonPurge,
    Plan,
    anonymise,
    counts,
    cutoffs,
    due,
)
from storage import case_file as case_repo
from storage import retention as retention_repo
from storage import subject_access as sar_repo
from storage.db import AsyncSession
from storage.models import Person


async def _person_purge(
    session: AsyncSession, person: Person, last_activity: datetime
) -> tuple[PersonPurge, list[int]]:
    """What anonymising one case changes and deletes, and the messages that carried it."""
    held = await case_repo.held_on(session, person_id=person.id)
    letters = [letter.id for letter in held["letters"]]
    messages = await retention_repo.outbox_carrying(
        session, reference=person.reference, letter_ids=letters
    )
    deleted = {"letters": len(letters), "outbox messages": len(messages)}
    purge = PersonPurge(
        person.id, person.reference, last_activity, counts(held), deleted, person, held
    )
    return purge, messages


async def plan(session: AsyncSession, *, now: datetime, policy: PolicySettings) -> Plan:
    """What a purge at `now` would anonymise and delete; reads only."""
    cut = cutoffs(now, policy)
    latest = await retention_repo.last_activity(session)
    live = await retention_repo.people_with_strategy_in(session, statuses=LIVE_STRATEGY)
    requested = await sar_repo.people_with_open_request(session)
    people: list[PersonPurge] = []
    held_back: list[str] = []
    outbox_ids: list[int] = []
    for person in await retention_repo.not_anonymised(session):
        when = latest.get(person.id, person.created_at)
        verdict = due(when, cut.case, live=person.id in live, requested=person.id in requested)
        if verdict is Due.HELD:
            held_back.append(person.reference)
        elif verdict is Due.PURGE:
            purge, messages = await _person_purge(session, person, when)
            people.append(purge)
            outbox_ids += messages
    checkins = await retention_repo.welfare_checkins_before(session, before=cut.welfare)
    carried = set(outbox_ids)
    welfare_messages = [
        i
        for i in await retention_repo.outbox_before(
            session, templates=WELFARE_TEMPLATES, before=cut.welfare
        )
        if i not in carried
    ]
    return Plan(
        now=now,
        cutoffs=cut,
        people=tuple(people),
        held_by_request=tuple(held_back),
        outbox_ids=tuple(outbox_ids),
        welfare_checkin_ids=tuple(checkins),
        welfare_message_ids=tuple(welfare_messages),
    )


async def apply(uow: Change, plan: Plan) -> None:
    """Carry out a plan made in this change's transaction, with its audit event."""
    for p in plan.people:
        anonymise(p.person, p.held, at=plan.now)
    await uow.flush()
    await retention_repo.delete_rows(
        uow.session,
        outbox_ids=plan.outbox_ids + plan.welfare_message_ids,
        letter_ids=plan.letter_ids,
        welfare_checkin_ids=plan.welfare_checkin_ids,
    )
    await uow.audit(
        AuditAction.RETENTION_PURGED,
        Named("retention", plan.now.date().isoformat()),
        cutoff=plan.cutoffs.case,
        welfare_cutoff=plan.cutoffs.welfare,
        cases=[p.reference for p in plan.people],
        held_by_subject_access_request=list(plan.held_by_request),
        letters_deleted=len(plan.letter_ids),
        outbox_messages_deleted=len(plan.outbox_ids) + len(plan.welfare_message_ids),
        welfare_checkins_deleted=len(plan.welfare_checkin_ids),
    )


async def purge(uow: Change, *, dry_run: bool = False) -> Plan:
    """Plan at the change's time, and unless it is a dry run, carry the plan out in it."""
    planned = await plan(uow.session, now=uow.now, policy=uow.ctx.policy)
    if not dry_run:
        await apply(uow, planned)
    return planned


POLICY = (
    carries(
        "9",
        "Retention: a case is anonymised six years (configurable) after its last activity or "
        "the end of its last strategy, in one audited transaction, with a dry run first "
        "(`safecontact retention purge`), and monthly through the scheduler.",
        "tests/integration/test_records_retention.py::test_a_dry_run_changes_nothing",
        "tests/integration/test_records_retention.py::test_purge_removes_exactly_the_expired_data_and_audit_still_verifies",
        "tests/integration/test_records_retention.py::test_the_monthly_jobs_are_stored_once_and_run_the_purge",
        "tests/unit/test_records_retention.py::test_a_case_is_due_only_past_its_time_with_nothing_live_and_nobody_asking",
        "tests/unit/test_records_retention.py::test_anonymising_removes_personal_content_and_keeps_what_is_counted",
    ),
    carries(
        "A",
        "Welfare check-in answers are deleted after their own shorter period (12 months by "
        "default), with the messages that carried them.",
        "tests/integration/test_records_retention.py::test_purge_removes_exactly_the_expired_data_and_audit_still_verifies",
    ),
)
