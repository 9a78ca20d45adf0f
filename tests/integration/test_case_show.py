"""`safecontact case show`: everything held on a person, and nothing that is not theirs.

This is the record a manager reads before a restriction (s7: the decision "must be
recorded in the case file") and what a subject access request would disclose (s9). It
must be complete, must not carry another person's case, and must never carry a staff
member's welfare check-ins (Appendix A).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import commands
from bot.settings import Settings
from storage import people as people_repo
from storage.db import Database
from storage.models import (
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    Incident,
    Letter,
    Person,
    PoliceReferral,
    Restriction,
    Review,
    SharingRequest,
    StaffMember,
    StaffRole,
    Warning,
    WelfareCheckIn,
)
from tests.backends import both_backends

CLI = Path(sys.executable).with_name("safecontact")
# 09:15 UTC in July is 10:15 in London.
WHEN = datetime(2026, 7, 14, 9, 15, tzinfo=UTC)
# Distinctive strings, so "not in the output" cannot pass by accident.
WELFARE_MARKERS = ("WELFARE-PRIVATE-STEP", "WELFARE-SECOND-STEP")
OTHER_PERSON_MARKER = "OTHER-PERSON-INCIDENT"


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def seed(db: Database) -> None:
    """One person with a full case, a namesake with their own, and an anonymised one."""
    async with db.write() as s:
        sam = StaffMember(email="sam.patel@example.org", name="Sam Patel")
        jo = StaffMember(email="jo.reed@example.org", name="Jo Reed")
        sam.roles.append(StaffRole(role="staff"))
        jo.roles += [StaffRole(role="manager"), StaffRole(role="authoriser")]
        zoe = Person(
            reference="SC-2026-00042",
            name="Zoë Example",
            additional_needs="Dyslexia",
            reasonable_adjustments="Letters in large print",
            advocate_name="Alex Advocate",
        )
        namesake = Person(reference="SC-2026-00043", name="Zoë Exampleton")
        gone = Person(reference="SC-2025-00007", name="Example Gone", anonymised_at=WHEN)
        s.add_all([sam, jo, zoe, namesake, gone])
        await s.flush()

        incident = Incident(
            person_id=zoe.id,
            reporter_id=sam.id,
            occurred_at=WHEN,
            channel="telephone",
            behaviours=["threats_harm"],
            what_happened="Threatened to wait outside the office.",
            impact="Felt unsafe leaving work",
            actions_taken=["warned", "call_ended"],
            violence=True,
            known_needs="Dyslexia",
            self_check={"explained": True, "proportionate": True},
            acknowledged_by_id=jo.id,
            acknowledged_at=WHEN,
        )
        other = Incident(
            person_id=namesake.id,
            reporter_id=sam.id,
            occurred_at=WHEN,
            channel="email",
            behaviours=["abuse"],
            what_happened=OTHER_PERSON_MARKER,
            actions_taken=[],
            self_check={},
        )
        s.add_all([incident, other])
        await s.flush()
        warning = Warning(
            person_id=zoe.id,
            incident_id=incident.id,
            kind="written",
            given_on=date(2026, 7, 15),
            behaviour_to_change="No threats to staff",
            recorded_by_id=jo.id,
        )
        referral = PoliceReferral(
            person_id=zoe.id,
            incident_id=incident.id,
            referred_on=date(2026, 7, 14),
            police_reference="WK-2026-0714-55",
            recorded_by_id=sam.id,
        )
        strategy = ContactStrategy(
            person_id=zoe.id,
            proposer_id=jo.id,
            status="active",
            reasons="Threats continued after a written warning",
            incident_ids=[incident.id],
            warning_given=True,
            adjustments_considered="Large print letters; advocate welcome",
            criteria={"proportionate": "Email only still gives full access"},
            review_date=date(2026, 10, 12),
            large_print=True,
            unusable_methods=["telephone"],
            activated_at=WHEN,
        )
        s.add_all([warning, referral, strategy])
        await s.flush()
        restriction = Restriction(
            strategy_id=strategy.id,
            kind="single_point_of_contact",
            spoc_staff_id=jo.id,
        )
        sharing = SharingRequest(
            person_id=zoe.id,
            strategy_id=strategy.id,
            agency="Adult Social Care",
            what="The contact strategy",
            reason_kind="safeguarding",
            requested_by_id=sam.id,
        )
        s.add_all([restriction, sharing])
        await s.flush()
        s.add_all(
            [
                Authorisation(
                    kind="strategy",
                    strategy_id=strategy.id,
                    requested_by_id=sam.id,
                    status="approved",
                    decided_by_id=jo.id,
                    decided_at=WHEN,
                    decision_reason="All five criteria met",
                ),
                Breach(
                    strategy_id=strategy.id,
                    restriction_id=restriction.id,
                    occurred_at=WHEN,
                    channel="telephone",
                    description="Rang the main switchboard",
                    recorded_by_id=sam.id,
                ),
                Review(
                    strategy_id=strategy.id,
                    outcome="continued",
                    reasons="Still needed after the breach",
                    new_review_date=date(2027, 1, 12),
                    reviewed_by_id=jo.id,
                ),
                Dispute(
                    strategy_id=strategy.id,
                    received_on=date(2026, 8, 1),
                    grounds="Says the SPOC is never available",
                    recorded_by_id=sam.id,
                ),
                ContactLog(
                    person_id=zoe.id,
                    strategy_id=strategy.id,
                    channel="email",
                    summary="Raised a new complaint about noise",
                    new_complaint=True,
                    safeguarding=True,
                    logged_by_id=sam.id,
                    occurred_at=WHEN,
                ),
                Disclosure(
                    sharing_request_id=sharing.id,
                    disclosed_by_id=jo.id,
                    note="Sent by secure email",
                ),
                Letter(
                    person_id=zoe.id,
                    kind="warning",
                    send_by="post",
                    subject="Your contact with our office",
                    html="<p>Dear Zoë</p>",
                    text="Dear Zoë",
                    warning_id=warning.id,
                    created_by_id=jo.id,
                    # Its sending record (issue 14), as dialogs.letters.record_sent writes it.
                    sent_on=date(2026, 7, 15),
                    sent_method="post",
                    sent_by_id=sam.id,
                    sent_recorded_at=WHEN,
                ),
                # Sam's own welfare after the incident: never part of Zoë's case file.
                WelfareCheckIn(
                    staff_id=sam.id,
                    incident_id=incident.id,
                    kind="after_incident",
                    answer="support",
                    answered_at=WHEN,
                    privacy_steps_done=list(WELFARE_MARKERS),
                ),
            ]
        )


def _args(ref: str, *, as_json: bool) -> argparse.Namespace:
    return argparse.Namespace(command="case", case_command="show", ref=ref, json=as_json)


async def show(
    url: str, ref: str, capsys: pytest.CaptureFixture[str], *, as_json: bool = False
) -> tuple[int, str, str]:
    code = await commands.case_show(Settings(database_url=url), _args(ref, as_json=as_json))
    out, err = capsys.readouterr()
    return code, out, err


@both_backends
async def test_case_show_prints_everything_held_on_the_person(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(db)
    code, out, _ = await show(fresh_db_url, "SC-2026-00042", capsys)
    assert code == 0
    for expected in (
        "Case SC-2026-00042: Zoë Example",
        "(times in Europe/London)",
        "additional needs: Dyslexia",
        "reasonable adjustments: Letters in large print",
        "Incident #",
        "on 2026-07-14 10:15",  # shown in London time, not UTC
        "reported by: Sam Patel",
        "Threatened to wait outside the office.",
        "police report required: yes",
        "Warning #",
        "No threats to staff",
        "WK-2026-0714-55",
        "Threats continued after a written warning",
        "single point of contact: Jo Reed",
        "All five criteria met",
        "Rang the main switchboard",
        "Still needed after the breach",
        "Says the SPOC is never available",
        "Raised a new complaint about noise",
        "safeguarding: yes",
        "Adult Social Care",
        "Sent by secure email",
        "Your contact with our office",
        "sent on: 2026-07-15",
        "sent method: post",
        "sent by: Sam Patel",
    ):
        assert expected in out, expected
    assert "not recorded as sent" not in out
    # Nothing of anyone else, and nothing of the reporter's welfare.
    assert OTHER_PERSON_MARKER not in out
    for marker in WELFARE_MARKERS:
        assert marker not in out
    assert "welfare" not in out.lower()
    # Staff appear by name, not by their roles.
    assert "authoriser" not in out and "manager" not in out


@both_backends
async def test_case_show_json_is_the_same_record(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(db)
    code, out, _ = await show(fresh_db_url, "sc-2026-00042", capsys, as_json=True)
    assert code == 0
    record: dict[str, Any] = json.loads(out)
    assert record["person"]["reference"] == "SC-2026-00042"
    assert len(record["incidents"]) == 1
    incident = record["incidents"][0]
    assert incident["occurred"] == "2026-07-14T10:15+01:00"
    assert incident["reported_by"] == "Sam Patel"
    assert incident["acknowledged_by"] == "Jo Reed"
    assert incident["behaviours"] == ["threats_harm"]
    assert incident["self_check"] == {"explained": True, "proportionate": True}
    for key in (
        "warnings",
        "police_referrals",
        "contact_strategies",
        "authorisations",
        "breaches",
        "reviews",
        "disputes",
        "contact_logs",
        "sharing_requests",
        "letters",
    ):
        assert len(record[key]) == 1, key
    strategy = record["contact_strategies"][0]
    assert strategy["restrictions"][0]["kind"] == "single_point_of_contact"
    # The needs weighed in the decision are part of the record (s5).
    assert strategy["large_print"] is True and strategy["unusable_methods"] == ["telephone"]
    assert record["sharing_requests"][0]["disclosures"][0]["disclosed_by"] == "Jo Reed"
    letter = record["letters"][0]
    assert letter["subject"] == "Your contact with our office"
    assert (letter["kind"], letter["send_by"]) == ("warning", "post")
    assert (letter["sent_on"], letter["sent_method"], letter["sent_by"]) == (
        "2026-07-15",
        "post",
        "Sam Patel",
    )
    assert "welfare" not in json.dumps(record).lower()
    for marker in WELFARE_MARKERS:
        assert marker not in out


@both_backends
async def test_a_thin_case_still_shows_every_section(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reader must be able to tell "none recorded" from "not shown".
    await seed(db)
    code, out, _ = await show(fresh_db_url, "SC-2026-00043", capsys)
    assert code == 0
    assert "Incidents (1)" in out and OTHER_PERSON_MARKER in out
    assert "Contact strategies (s7) (0)\n  none" in out
    assert "Letters (0)\n  none" in out
    assert "Threatened to wait outside the office." not in out


@both_backends
async def test_a_name_matching_several_people_asks_for_a_reference(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(db)
    code, out, _ = await show(fresh_db_url, "EXAMPLE", capsys)
    assert code == 1
    assert "matches 2 people" in out
    assert "SC-2026-00042  Zoë Example" in out and "SC-2026-00043  Zoë Exampleton" in out
    # An anonymised person's record is not offered up by a name search.
    assert "SC-2025-00007" not in out


@both_backends
async def test_an_unknown_reference_is_a_clear_message(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(db)
    code, out, err = await show(fresh_db_url, "SC-2026-99999", capsys)
    assert code == 1
    assert out == ""
    assert "No person or case matches 'SC-2026-99999'." in err


@both_backends
async def test_find_by_reference_name_and_not_wildcards(db: Database) -> None:
    await seed(db)
    async with db.read() as s:

        async def refs(query: str) -> list[str]:
            return [p.reference for p in await people_repo.find(s, query=query)]

        assert await refs(" sc-2026-00043 ") == ["SC-2026-00043"]
        assert await refs("exampleton") == ["SC-2026-00043"]
        assert await refs("Gone") == []  # anonymised: not found by name
        assert await refs("SC-2025-00007") == ["SC-2025-00007"]  # but its reference still works
        # A user's % or _ is a character, not a wildcard that lists everyone.
        assert await refs("%") == []
        assert await refs("_") == []
        assert await refs("") == []


async def test_the_real_cli_prints_valid_json(db: Database, fresh_db_url: str) -> None:
    await seed(db)
    env = {k: v for k, v in os.environ.items() if k != "SAFECONTACT_CONFIG"}
    env["DATABASE_URL"] = fresh_db_url
    proc = await asyncio.create_subprocess_exec(
        str(CLI),
        "case",
        "show",
        "SC-2026-00042",
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    record = json.loads(out)
    assert record["person"]["name"] == "Zoë Example"
    assert record["incidents"][0]["what_happened"] == "Threatened to wait outside the office."
    assert b"Traceback" not in err
