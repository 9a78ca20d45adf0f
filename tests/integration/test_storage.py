"""Storage on real SQLite and PostgreSQL: what the case file and the audit trail rest on.

Each test gets a fresh migrated database (tests/conftest.py); `@both_backends` runs it on
both, because an office starts on SQLite and moves to PostgreSQL with the same data.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError

from bot.settings import StaffEntry
from storage import audit, jobs, migrate, outbox, refs
from storage import staff as staff_repo
from storage.db import Database
from storage.models import (
    Attachment,
    AuditEvent,
    AuditHead,
    Authorisation,
    Base,
    Breach,
    CaseRefCounter,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    FurtherAction,
    Incident,
    Letter,
    Matter,
    OutboxMessage,
    Person,
    PoliceReferral,
    Restriction,
    Review,
    ScheduledJob,
    SeenInteraction,
    SharingRequest,
    StaffIdentity,
    StaffMember,
    StaffRole,
    SubjectAccessRequest,
    TeamsConversationRef,
    Warning,
    WelfareCheckIn,
)
from tests.backends import both_backends

LONDON = ZoneInfo("Europe/London")
# A summer time in London (+01:00) with microseconds: it must come back as the same
# instant, in UTC, on both backends.
SUMMER = datetime(2026, 7, 14, 10, 15, 30, 123456, tzinfo=LONDON)
WINTER = datetime(2026, 1, 5, 16, 45, 0, 654321, tzinfo=UTC)

only_postgresql = pytest.mark.parametrize(
    "fresh_db_url", ["postgresql"], indirect=True, ids=["postgresql"]
)


def _columns(obj: Base) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


async def _seed_every_model(db: Database) -> list[Base]:
    """One row of every model, every column given a non-default value where it has one."""
    made: list[Base] = []

    def keep(*objs: Base) -> None:
        made.extend(objs)

    async with db.write() as s:
        boss = StaffMember(
            email="jo.reed@example.org",
            name="Jo Reed",
            manager_email="ceo@example.org",
            slack_user_id="UBOSS01",
            slack_dm_channel="DBOSS01",
            teams_user_id="11111111-1111-1111-1111-111111111111",
            head_of_business_services=False,
            nominated_by_email="ceo@example.org",
            nominated_on=date(2026, 1, 12),
            in_directory=True,
            created_at=WINTER,
            updated_at=WINTER,
        )
        s.add(boss)
        await s.flush()
        sam = StaffMember(
            email="sam.patel@example.org",
            name="Sam Patel",
            manager_email="jo.reed@example.org",
            slack_user_id="USAM001",
            slack_dm_channel="DSAM001",
            teams_user_id="22222222-2222-2222-2222-222222222222",
            head_of_business_services=True,
            nominated_by_email="ceo@example.org",
            nominated_on=date(2025, 6, 1),
            in_directory=False,
            created_at=SUMMER,
            updated_at=SUMMER,
        )
        sam.roles.append(StaffRole(role="manager"))
        s.add(sam)
        await s.flush()
        keep(boss, sam, *sam.roles)

        teams_ref = TeamsConversationRef(
            teams_user_id="22222222-2222-2222-2222-222222222222",
            conversation_id="a:1Xyz",
            service_url="https://smba.trafficmanager.net/uk/",
            tenant_id="33333333-3333-3333-3333-333333333333",
            reference='{"conversation": {"id": "a:1Xyz"}}',
            updated_at=SUMMER,
        )
        counter = CaseRefCounter(year=2026, last_value=41)
        person = Person(
            reference="SC-2026-00042",
            name="Zoë Example",
            additional_needs="Dyslexia; prefers large print",
            reasonable_adjustments="Letters in 16pt; calls before noon",
            advocate_name="Alex Advocate",
            advocate_contact="advocate@example.org",
            postal_address="1 High Street\nTowncastle\nTC1 1AA",
            email="zoe@example.org",
            unusable_methods=["telephone"],
            spoc_staff_id=sam.id,
            spoc_since=WINTER,
            spoc_appointed_by_id=boss.id,
            needs_history=[{"told_on": "2026-01-10", "needs": "Dyslexia", "none_given": False}],
            created_at=WINTER,
            last_activity_at=SUMMER,
            anonymised_at=SUMMER,
        )
        # Identities from email: the Teams account the roster gave for Sam.
        found = StaffIdentity(
            staff_id=sam.id,
            platform="teams",
            user_id="22222222-2222-2222-2222-222222222222",
            source="roster",
            found_at=WINTER,
        )
        s.add_all([teams_ref, counter, person, found])
        await s.flush()
        keep(teams_ref, counter, person, found)

        incident = Incident(
            person_id=person.id,
            reporter_id=sam.id,
            occurred_at=SUMMER,
            channel="telephone",
            behaviours=["abuse", "threats_harm", "other_unacceptable"],
            other_behaviour="Filmed staff at the counter ‘for the internet’.",
            what_happened="Shouted and threatened to ‘come round’.",
            impact="Shaken ✓",
            actions_taken=["warned", "call_ended"],
            violence=True,
            known_needs="None known",
            self_check={"explained": True, "proportionate": False},
            acknowledged_by_id=boss.id,
            acknowledged_at=WINTER,
            police_not_referred_reason="The police took a statement at the office ‘on the day’.",
            police_not_referred_by_id=boss.id,
            police_not_referred_at=WINTER,
            created_at=SUMMER,
        )
        s.add(incident)
        await s.flush()
        warning = Warning(
            person_id=person.id,
            incident_id=incident.id,
            kind="written",
            given_on=date(2026, 7, 15),
            behaviour_to_change="No threats on the telephone",
            recorded_by_id=boss.id,
            created_at=SUMMER,
        )
        referral = PoliceReferral(
            person_id=person.id,
            incident_id=incident.id,
            referred_on=date(2026, 7, 14),
            police_reference="WK-123/26",
            recorded_by_id=sam.id,
            created_at=SUMMER,
        )
        old_strategy = ContactStrategy(
            person_id=person.id,
            proposer_id=sam.id,
            status="ended",
            reasons="Earlier strategy",
            public_summary="We will answer your emails once a week.",
            incident_ids=[incident.id],
            warning_given=True,
            no_warning_reason="n/a",
            shortcomings_addressed="Updates now go out every fortnight.",
            adjustments_considered="Large print",
            criteria={"addressed": "yes", "adequate": "yes"},
            review_date=date(2026, 6, 1),
            letter_channel="post",
            large_print=True,
            unusable_methods=["telephone"],
            revision_of_id=None,
            supersedes_id=None,
            takes_effect_on=date(2026, 1, 5),
            review_after_days=150,
            activated_at=WINTER,
            ended_at=SUMMER,
            created_at=WINTER,
        )
        s.add_all([warning, referral, old_strategy])
        await s.flush()
        keep(incident, warning, referral)
        # Every column non-null for the check, even if the links are circular.
        old_strategy.supersedes_id = old_strategy.id
        old_strategy.revision_of_id = old_strategy.id
        strategy = ContactStrategy(
            person_id=person.id,
            proposer_id=sam.id,
            status="active",
            reasons="Repeated threats despite a written warning",
            public_summary="Please write to us rather than telephone.",
            incident_ids=[incident.id, 9999],
            warning_given=True,
            no_warning_reason="",
            shortcomings_addressed="We now reply within ten working days.",
            adjustments_considered="Advocate allowed",
            criteria={
                "addressed": "Complaint answered 3 June",
                "adequate": "Four letters",
                "access": "Large print",
                "dispel": "Meeting offered",
                "proportionate": "Yes",
            },
            review_date=date(2026, 10, 12),
            letter_channel="email",
            large_print=True,
            unusable_methods=["telephone", "in_person"],
            revision_of_id=old_strategy.id,
            supersedes_id=old_strategy.id,
            takes_effect_on=date(2026, 7, 1),
            review_after_days=90,
            activated_at=SUMMER,
            ended_at=WINTER,
            created_at=SUMMER,
        )
        s.add(strategy)
        await s.flush()
        restriction = Restriction(
            strategy_id=strategy.id,
            kind="single_point_of_contact",
            call_minutes=10,
            contact_method="email",
            email_address="restricted@example.org",
            blocked_channels=["social_media", "telephone"],
            advocate_name="Alex Advocate",
            advocate_contact="advocate@example.org",
            spoc_staff_id=sam.id,
        )
        sharing = SharingRequest(
            person_id=person.id,
            strategy_id=strategy.id,
            agency="Adult Social Care",
            what="The contact strategy",
            reason_kind="safeguarding",
            reason_detail="Regular home visits",
            consent=True,
            requested_by_id=sam.id,
            created_at=SUMMER,
        )
        s.add_all([restriction, sharing])
        await s.flush()
        keep(old_strategy, strategy, restriction, sharing)
        disclosure = Disclosure(
            sharing_request_id=sharing.id,
            disclosed_by_id=boss.id,
            disclosed_at=SUMMER,
            note="Sent by secure email",
        )
        authorisation = Authorisation(
            kind="sharing",
            strategy_id=strategy.id,
            sharing_request_id=sharing.id,
            requested_by_id=sam.id,
            status="approved",
            decided_by_id=boss.id,
            decided_at=SUMMER,
            decision_reason="Safeguarding need",
            created_at=WINTER,
        )
        breach = Breach(
            strategy_id=strategy.id,
            restriction_id=restriction.id,
            occurred_at=SUMMER,
            channel="telephone",
            description="Called the main line",
            recorded_by_id=sam.id,
            created_at=SUMMER,
        )
        review = Review(
            strategy_id=old_strategy.id,
            outcome="altered",
            reasons="Advocate now involved",
            public_summary="You may now contact us through your advocate.",
            new_review_date=date(2027, 1, 10),
            new_strategy_id=strategy.id,
            reviewed_by_id=boss.id,
            created_at=SUMMER,
        )
        dispute = Dispute(
            strategy_id=strategy.id,
            received_on=date(2026, 8, 1),
            grounds="Says the restriction is unfair",
            recorded_by_id=sam.id,
            decider_id=boss.id,
            outcome="upheld",
            outcome_reasons="Strategy still needed",
            outcome_summary="We have decided the arrangements stay as they are.",
            decided_at=SUMMER,
            created_at=WINTER,
        )
        contact = ContactLog(
            person_id=person.id,
            strategy_id=strategy.id,
            channel="email",
            summary="New complaint about a neighbour",
            new_information=True,
            new_complaint=True,
            criminal=True,
            safeguarding=True,
            information_request=True,
            read_no_action_warning_id=warning.id,
            logged_by_id=sam.id,
            occurred_at=SUMMER,
            created_at=WINTER,
        )
        s.add(contact)
        await s.flush()
        matter = Matter(
            person_id=person.id,
            contact_log_id=contact.id,
            incident_id=incident.id,
            summary="New complaint about a neighbour",
            raised_at=SUMMER,
            recorded_by_id=sam.id,
            closed_at=WINTER,
            closed_by_id=boss.id,
            outcome="Passed to the complaints team",
            signposted_to="Police Professional Standards",
            created_at=SUMMER,
        )
        further = FurtherAction(
            person_id=person.id,
            kind="legal_advice_received",
            taken_on=SUMMER.date(),
            details="Counsel advised an injunction is open to us",
            recorded_by_id=sam.id,
            created_at=WINTER,
        )
        letter = Letter(
            person_id=person.id,
            kind="strategy",
            send_by="post",
            subject="How we will deal with your contact",
            html="<p>Dear Zoë</p>",
            text="Dear Zoë",
            warning_id=warning.id,
            strategy_id=strategy.id,
            created_by_id=boss.id,
            created_at=SUMMER,
            sent_on=SUMMER.date(),
            sent_method="post",
            sent_by_id=sam.id,
            sent_recorded_at=SUMMER,
        )
        welfare = WelfareCheckIn(
            staff_id=sam.id,
            incident_id=incident.id,
            kind="after_incident",
            answer="talk",
            answered_at=SUMMER,
            privacy_steps_done=["electoral_register", "profile_picture"],
            created_at=SUMMER,
        )
        job = ScheduledJob(
            key="review:1:14",
            kind="review_reminder",
            due_at=SUMMER,
            payload={"strategy_id": strategy.id, "lead": [14, 3]},
            status="done",
            attempts=2,
            claimed_by="host:abc",
            claimed_at=WINTER,
            last_error="timeout",
            done_at=SUMMER,
            created_at=WINTER,
        )
        # Records and rights (s9): a closed subject access request, a report's chart.
        request = SubjectAccessRequest(
            person_id=person.id,
            received_on=date(2026, 7, 1),
            due_on=date(2026, 8, 3),
            status="closed",
            opened_by="cli:ops",
            closed_on=date(2026, 7, 28),
            closed_by="staff:2",
            outcome="answered",
            created_at=SUMMER,
        )
        chart = Attachment(
            purpose="oversight-report:2026-07",
            filename="oversight-report-2026-07.png",
            mime_type="image/png",
            size=9,
            content=b"\x89PNG\r\n\x1a\n\x00",
            created_at=WINTER,
        )
        s.add_all(
            [disclosure, authorisation, breach, review, dispute, contact, letter, welfare, job]
        )
        s.add_all([request, chart, further, matter])
        await s.flush()
        message = OutboxMessage(
            recipient_id=sam.id,
            origin_id=boss.id,
            kind="file",
            template="letter",
            model={"reference": "SC-2026-00042", "nested": {"n": [1, 2.5, None, "ü"]}},
            card_key="auth:1",
            letter_id=letter.id,
            attachment_id=chart.id,
            status="sent",
            attempts=3,
            next_attempt_at=SUMMER,
            claimed_by="host:abc",
            claimed_at=SUMMER,
            platform="slack",
            platform_ref={"channel": "DSAM001", "ts": "1720948530.000100"},
            last_error="ratelimited",
            sent_at=SUMMER,
            created_at=WINTER,
        )
        s.add(message)
        await audit.record(
            s,
            actor="staff:1",
            action="strategy.activated",
            entity_type="strategy",
            detail={"reference": "SC-2026-00042", "restrictions": ["spoc"]},
            at=SUMMER,
            entity=strategy,  # the event carries the hash of its state
        )
        seen = SeenInteraction(
            key="a" * 64,
            platform="slack",
            kind="view_submission",
            seen_at=SUMMER,
            expires_at=WINTER,
            answer={"response_action": "update", "view": {"blocks": [None, 2.5, "ü"]}},
        )
        s.add(seen)
        keep(disclosure, authorisation, breach, review, dispute, contact, letter, welfare, job)
        keep(further, matter)
        keep(request, chart)
        keep(message, seen)
    # Written at commit, after the seal that keys the chain: the last event and the head.
    async with db.read() as s:
        event = (await s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()))).scalars()
        keep(event.first(), (await s.execute(select(AuditHead))).scalar_one())
    return made


@both_backends
async def test_every_model_round_trips_with_every_field(db: Database) -> None:
    made = await _seed_every_model(db)

    covered = {type(obj) for obj in made}
    every_model = {m.class_ for m in Base.registry.mappers}
    assert every_model - covered == set(), "add the new model to this round trip"

    written = [(type(obj), inspect(obj).identity, _columns(obj)) for obj in made]
    for model, _, values in written:
        unset = [k for k, v in values.items() if v is None]
        assert unset == [], f"{model.__name__} seeded without {unset}"

    async with db.read() as s:
        for model, identity, values in written:
            back = _columns(await s.get(model, identity))
            assert back == values, model.__name__
            for key, value in back.items():
                if isinstance(value, datetime):
                    # Stored as the same instant and handed back as aware UTC.
                    assert value.utcoffset() == timedelta(0), f"{model.__name__}.{key}"
    async with db.read() as s:
        person = (await s.execute(select(Person))).scalar_one()
    # 10:15 in a London summer is 09:15 UTC, to the microsecond.
    assert person.last_activity_at == datetime(2026, 7, 14, 9, 15, 30, 123456, tzinfo=UTC)
    assert person.last_activity_at.isoformat().endswith("+00:00")


@both_backends
async def test_naive_datetime_is_refused_rather_than_guessed(db: Database) -> None:
    # A naive time would be read as UTC on one backend and local on another.
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as s:
            s.add(ScheduledJob(key="k", kind="x", due_at=datetime(2026, 1, 1), payload={}))
            await s.flush()
    async with db.read() as s:
        assert await jobs.list_jobs(s) == []


@both_backends
async def test_migrations_reach_head_with_no_drift(db: Database) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert await migrate.current_revision(db) == head
    # Alembic's autogenerate comparison: the models and the migrated schema agree.
    assert await migrate.drift(db) == []


@both_backends
async def test_migrations_upgrade_from_an_empty_database(db: Database) -> None:
    def tables(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    def downgrade_all(conn: Connection) -> None:
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")

    await db.run_sync(downgrade_all)
    assert await db.run_sync(tables, begin=False) <= {"alembic_version"}

    await migrate.upgrade(db)
    await migrate.upgrade(db)  # a second start changes nothing

    assert {"people", "audit_events", "audit_head"} <= await db.run_sync(tables, begin=False)
    assert await migrate.drift(db) == []
    async with db.write() as s:
        await audit.record(s, actor="system", action="test", entity_type="t", entity_id=1)
    async with db.read() as s:
        assert (await audit.verify(s)).ok


# --- the staff directory ------------------------------------------------------------


def _entry(name: str, email: str, roles: list[str], **kw: Any) -> StaffEntry:
    return StaffEntry(name=name, email=email, roles=roles, **kw)


DIRECTORY = [
    _entry("Jo Reed", "jo.reed@example.org", ["staff", "manager"], slack_user_id="UJO001"),
    _entry(
        "Sam Patel",
        "sam.patel@example.org",
        ["staff"],
        manager="jo.reed@example.org",
        slack_user_id="USAM01",
        teams_user_id="22222222-2222-2222-2222-222222222222",
    ),
    _entry("Kit Lane", "kit.lane@example.org", ["authoriser", "admin"]),
]


async def _audit_count(db: Database) -> int:
    async with db.read() as s:
        return (await s.execute(select(func.count()).select_from(AuditEvent))).scalar_one()


async def _sync(db: Database, entries: list[StaffEntry]) -> staff_repo.SyncReport:
    async with db.write() as s:
        return await staff_repo.sync_directory(s, entries=entries)


@both_backends
async def test_directory_sync_is_idempotent(db: Database) -> None:
    first = await _sync(db, DIRECTORY)
    assert sorted(first.added) == sorted(e.email for e in DIRECTORY)
    events = await _audit_count(db)
    assert events == 3  # one per person added

    second = await _sync(db, DIRECTORY)
    assert second.unchanged
    assert await _audit_count(db) == events

    async with db.read() as s:
        people = await staff_repo.list_staff(s)
        assert [(p.name, sorted(p.role_names)) for p in people] == [
            ("Jo Reed", ["manager", "staff"]),
            ("Kit Lane", ["admin", "authoriser"]),
            ("Sam Patel", ["staff"]),
        ]
        sam = await staff_repo.get_by_slack_id(s, slack_user_id="USAM01")
        assert sam is not None
        manager = await staff_repo.manager_of(s, member=sam)
        assert manager is not None and manager.name == "Jo Reed"


@both_backends
async def test_someone_removed_from_the_directory_keeps_their_history_but_no_roles(
    db: Database,
) -> None:
    await _sync(db, DIRECTORY)
    async with db.write() as s:
        sam = await staff_repo.get_by_email(s, email="sam.patel@example.org")
        assert sam is not None
        person = Person(reference="SC-2026-00001", name="A Member")
        s.add(person)
        await s.flush()
        s.add(
            Incident(
                person_id=person.id,
                reporter_id=sam.id,
                occurred_at=SUMMER,
                channel="email",
                behaviours=["abuse"],
                what_happened="Abusive email",
                actions_taken=[],
                self_check={},
            )
        )
        sam_id = sam.id

    report = await _sync(db, [DIRECTORY[0], DIRECTORY[2]])
    assert report.removed == ["sam.patel@example.org"]
    assert report.added == [] and report.changed == []

    async with db.read() as s:
        sam = await staff_repo.get_by_id(s, staff_id=sam_id)
        assert sam is not None, "the row is kept so their reports stay attributable"
        assert sam.in_directory is False
        assert sam.role_names == set()
        assert sam.manager_email is None
        # Their chat identities no longer act for them.
        assert await staff_repo.get_by_slack_id(s, slack_user_id="USAM01") is None
        assert (
            await staff_repo.get_by_teams_id(
                s, teams_user_id="22222222-2222-2222-2222-222222222222"
            )
            is None
        )
        assert [p.email for p in await staff_repo.list_staff(s)] == [
            "jo.reed@example.org",
            "kit.lane@example.org",
        ]
        incident = (await s.execute(select(Incident))).scalar_one()
        assert incident.reporter_id == sam_id
        removed = (
            await s.execute(select(AuditEvent).where(AuditEvent.action == "staff.removed"))
        ).scalar_one()
        assert removed.entity_id == str(sam_id)
        assert "Sam" not in str(removed.detail)

    # Removing them again is not a new change.
    assert (await _sync(db, [DIRECTORY[0], DIRECTORY[2]])).unchanged

    # Coming back restores their roles on the same row.
    back = await _sync(db, DIRECTORY)
    assert back.changed == ["sam.patel@example.org"]
    async with db.read() as s:
        sam = await staff_repo.get_by_slack_id(s, slack_user_id="USAM01")
        assert sam is not None and sam.id == sam_id and sam.role_names == {"staff"}


@both_backends
async def test_slack_ids_can_move_and_swap_between_people(db: Database) -> None:
    await _sync(db, DIRECTORY)
    jo, sam, kit = DIRECTORY

    # Kit takes over Jo's Slack account; Jo has none for now.
    moved = [
        jo.model_copy(update={"slack_user_id": None}),
        sam,
        kit.model_copy(update={"slack_user_id": "UJO001"}),
    ]
    report = await _sync(db, moved)
    # Jo only lost an id, and that is a change the audit trail must show too.
    assert sorted(report.changed) == ["jo.reed@example.org", "kit.lane@example.org"]
    async with db.read() as s:
        owner = await staff_repo.get_by_slack_id(s, slack_user_id="UJO001")
        assert owner is not None and owner.email == "kit.lane@example.org"
        changed = (
            await s.execute(select(AuditEvent).where(AuditEvent.action == "staff.changed"))
        ).scalars()
        jo_row = await staff_repo.get_by_email(s, email="jo.reed@example.org")
        assert jo_row is not None and jo_row.slack_user_id is None
        assert sorted(e.entity_id for e in changed) == sorted([str(jo_row.id), str(owner.id)])

    # Two people swap ids in one sync: neither uniqueness constraint may trip.
    swapped = [
        moved[0],
        sam.model_copy(update={"slack_user_id": "UJO001"}),
        kit.model_copy(update={"slack_user_id": "USAM01"}),
    ]
    await _sync(db, swapped)
    async with db.read() as s:
        a = await staff_repo.get_by_slack_id(s, slack_user_id="UJO001")
        b = await staff_repo.get_by_slack_id(s, slack_user_id="USAM01")
        assert a is not None and a.email == "sam.patel@example.org"
        assert b is not None and b.email == "kit.lane@example.org"
    assert (await _sync(db, swapped)).unchanged


# --- the audit trail --------------------------------------------------------------


async def _five_events(db: Database) -> None:
    for n in range(1, 6):
        async with db.write() as s:
            await audit.record(
                s,
                actor=f"staff:{n}",
                action="incident.reported",
                entity_type="incident",
                entity_id=n,
                detail={"reference": f"SC-2026-{n:05d}"},
            )


async def _verify(db: Database) -> audit.Verdict:
    async with db.read() as s:
        return await audit.verify(s)


async def _tamper(db: Database, sql: str) -> None:
    # Behind the application's back: plain SQL on a raw connection.
    await db.run_sync(lambda conn: conn.execute(text(sql)))


@both_backends
async def test_audit_verify_passes_on_a_clean_log(db: Database) -> None:
    empty = await _verify(db)
    assert empty.ok and empty.checked == 0
    await _five_events(db)
    verdict = await _verify(db)
    assert verdict.ok and verdict.checked == 5


@both_backends
@pytest.mark.parametrize(
    "sql",
    [
        """UPDATE audit_events SET detail = '{"reference": "SC-2026-00099"}' WHERE seq = 3""",
        "UPDATE audit_events SET action = 'incident.withdrawn' WHERE seq = 3",
        "UPDATE audit_events SET actor = 'staff:9' WHERE seq = 3",
    ],
    ids=["detail", "action", "actor"],
)
async def test_audit_verify_names_a_changed_event(db: Database, sql: str) -> None:
    await _five_events(db)
    await _tamper(db, sql)
    verdict = await _verify(db)
    assert not verdict.ok
    assert verdict.bad_seq == 3
    assert "event 3" in verdict.reason and "changed" in verdict.reason


@both_backends
async def test_audit_verify_names_a_deleted_middle_event(db: Database) -> None:
    await _five_events(db)
    await _tamper(db, "DELETE FROM audit_events WHERE seq = 2")
    verdict = await _verify(db)
    assert not verdict.ok
    assert verdict.bad_seq == 2
    assert "event 2 is missing" in verdict.reason


@both_backends
async def test_audit_verify_names_a_deleted_last_event(db: Database) -> None:
    await _five_events(db)
    await _tamper(db, "DELETE FROM audit_events WHERE seq = 5")
    verdict = await _verify(db)
    assert not verdict.ok
    assert verdict.bad_seq == 5
    assert "event 5 is missing" in verdict.reason


@both_backends
async def test_audit_chain_holds_under_concurrent_writers(db: Database) -> None:
    async def one(n: int) -> None:
        async with db.write() as s:
            await audit.record(s, actor="t", action="a", entity_type="x", entity_id=n)
            await asyncio.sleep(0.005)

    await asyncio.gather(*(one(n) for n in range(20)))
    verdict = await _verify(db)
    assert verdict.ok and verdict.checked == 20


# --- case references, jobs, outbox -------------------------------------------------


@both_backends
async def test_concurrent_case_references_never_repeat(db: Database) -> None:
    async def allocate() -> str:
        async with db.write() as s:
            ref = await refs.allocate_reference(s, year=2026)
            # Hold the transaction open so, on PostgreSQL, the others really contend.
            await asyncio.sleep(0.01)
            return ref

    got = await asyncio.wait_for(asyncio.gather(*(allocate() for _ in range(50))), 60)
    assert len(set(got)) == 50
    assert sorted(got) == [f"SC-2026-{n:05d}" for n in range(1, 51)]

    async with db.write() as s:
        assert await refs.allocate_reference(s, year=2027) == "SC-2027-00001"


@both_backends
async def test_a_rolled_back_case_reference_is_not_lost(db: Database) -> None:
    class Abandoned(Exception):
        pass

    async with db.write() as s:
        assert await refs.allocate_reference(s, year=2026) == "SC-2026-00001"
    with pytest.raises(Abandoned):
        async with db.write() as s:
            assert await refs.allocate_reference(s, year=2026) == "SC-2026-00002"
            raise Abandoned
    async with db.write() as s:
        assert await refs.allocate_reference(s, year=2026) == "SC-2026-00002"


@both_backends
async def test_scheduling_the_same_job_twice_stores_one(db: Database) -> None:
    async with db.write() as s:
        assert await jobs.schedule(
            s, key="review:7:14", kind="review_reminder", due_at=SUMMER, payload={"lead": 14}
        )
    async with db.write() as s:
        assert not await jobs.schedule(
            s, key="review:7:14", kind="review_reminder", due_at=WINTER, payload={"lead": 0}
        )
    async with db.read() as s:
        stored = await jobs.list_jobs(s)
    assert len(stored) == 1
    assert stored[0].due_at == SUMMER and stored[0].payload == {"lead": 14}


async def _recipient_with_messages(db: Database, n: int) -> None:
    async with db.write() as s:
        member = StaffMember(email="sam.patel@example.org", name="Sam Patel")
        s.add(member)
        await s.flush()
        for i in range(n):
            await outbox.enqueue(
                s,
                recipient_id=member.id,
                template="incident_notice",
                model={"i": i},
                not_before=WINTER,
            )


@both_backends
async def test_two_workers_claiming_the_outbox_get_different_messages(db: Database) -> None:
    await _recipient_with_messages(db, 10)
    now = WINTER + timedelta(minutes=1)

    async def claim(worker: str) -> list[int]:
        async with db.write() as s:
            got = await outbox.claim_due(s, worker=worker, now=now, limit=6)
            await asyncio.sleep(0.01)
            return [m.id for m, _ in got]

    a, b = await asyncio.wait_for(asyncio.gather(claim("a"), claim("b")), 30)
    assert set(a).isdisjoint(b)
    assert len(a) + len(b) == 10


@only_postgresql
async def test_outbox_skip_locked_keeps_concurrent_sessions_apart(db: Database) -> None:
    await _recipient_with_messages(db, 10)
    now = WINTER + timedelta(minutes=1)
    a_claimed, b_claimed = asyncio.Event(), asyncio.Event()
    claims: dict[str, list[int]] = {}
    # Two replicas, as in production: one process makes one change at a time
    # (storage/db.py), so SKIP LOCKED is what keeps replicas' claims apart.
    replica = Database(db.url.render_as_string(hide_password=False))

    async def worker_a() -> None:
        async with replica.write() as s:
            got = await outbox.claim_due(s, worker="a", now=now, limit=4)
            claims["a"] = [m.id for m, _ in got]
            a_claimed.set()
            # Keep A's transaction (and its row locks) open until B has claimed.
            await b_claimed.wait()

    async def worker_b() -> None:
        await a_claimed.wait()
        async with db.write() as s:
            got = await outbox.claim_due(s, worker="b", now=now, limit=10)
            claims["b"] = [m.id for m, _ in got]
        b_claimed.set()

    # Without SKIP LOCKED, B would wait on A's locks and this would time out.
    try:
        await asyncio.wait_for(asyncio.gather(worker_a(), worker_b()), 20)
    finally:
        await replica.dispose()
    assert len(claims["a"]) == 4 and len(claims["b"]) == 6
    assert set(claims["a"]).isdisjoint(claims["b"])

    async with db.write() as s:
        assert await outbox.claim_due(s, worker="c", now=now) == []
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        owners = {m.id: m.claimed_by for m in rows}
    assert {i: "a" for i in claims["a"]} | {i: "b" for i in claims["b"]} == owners
