"""Who took part in the decision a dispute is about (s7.3, issue 14), read from storage.

Independent means no part in the proposal, the approval, or a review that continued or
altered the arrangements, for the strategy in force and every version it replaced; a
review that ended a strategy, or a denied request, is not part of the decision.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dialogs.dispute.rules import took_part
from storage import strategies as strategies_repo
from storage.db import Database
from storage.models import Authorisation, ContactStrategy, Person, Review, StaffMember
from tests.backends import both_backends

WHEN = datetime(2026, 7, 14, 9, 15, tzinfo=UTC)


@both_backends
async def test_an_alteration_carries_who_took_part_in_the_versions_before_it(
    db: Database,
) -> None:
    async with db.write() as s:
        staff = {n: StaffMember(email=f"{n}@example.org", name=n.title()) for n in
                 ("jo", "bea", "casey", "alex", "dana", "eve")}  # fmt: skip
        person = Person(reference="SC-2026-00042", name="Zoë Example")
        s.add_all([*staff.values(), person])
        await s.flush()
        old = ContactStrategy(
            person_id=person.id, proposer_id=staff["jo"].id, status="altered",
            reasons="internal", review_date=date(2026, 10, 1),
        )  # fmt: skip
        s.add(old)
        await s.flush()
        new = ContactStrategy(
            person_id=person.id, proposer_id=staff["casey"].id, status="active",
            reasons="internal", review_date=date(2027, 1, 1), supersedes_id=old.id,
        )  # fmt: skip
        s.add(new)
        await s.flush()
        s.add_all([
            Authorisation(kind="strategy", strategy_id=old.id, requested_by_id=staff["jo"].id,
                          status="approved", decided_by_id=staff["bea"].id, decided_at=WHEN),
            # A denied request took no decision to restrict.
            Authorisation(kind="strategy", strategy_id=new.id, requested_by_id=staff["casey"].id,
                          status="denied", decided_by_id=staff["eve"].id, decided_at=WHEN),
            Authorisation(kind="strategy", strategy_id=new.id, requested_by_id=staff["casey"].id,
                          status="approved", decided_by_id=staff["alex"].id, decided_at=WHEN),
            Review(strategy_id=old.id, outcome="continued", reasons="r",
                   reviewed_by_id=staff["dana"].id),
            Review(strategy_id=old.id, outcome="altered", reasons="r",
                   reviewed_by_id=staff["casey"].id, new_strategy_id=new.id),
        ])  # fmt: skip
        await s.flush()
        ids = {n: m.id for n, m in staff.items()}
        new_id = new.id
    async with db.read() as s:
        decisions = await strategies_repo.decision_makers(s, strategy_id=new_id)
    assert ("altered", ids["casey"]) in decisions and ("continued", ids["dana"]) in decisions
    assert took_part(decisions) == {ids[n] for n in ("jo", "bea", "casey", "alex", "dana")}
