"""The case file's shape and the export's redaction as pure rules (s7, s9, Appendix A).

Unsaved rows in, plain data out: no database. The end-to-end record is pinned by
test_case_show.py and test_records_export.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogs.case.record import FIELDS, SECTIONS, STAFF_FIELDS, Show, columns, shape, staff_ids
from dialogs.records.redact import GENERIC, labels_by_name, relabel, role_label, scrubber
from storage import models as m

LONDON = ZoneInfo("Europe/London")
JULY = datetime(2026, 7, 14, 9, 15, tzinfo=UTC)  # 10:15 in London


def held(**rows: list[Any]) -> dict[str, list[Any]]:
    empty: dict[str, list[Any]] = {kind: [] for kind in SECTIONS}
    return empty | {"disclosures": []} | rows


def test_every_kind_names_its_keys_and_the_columns_they_come_from() -> None:
    assert columns("warnings")[:3] == (("id", "id"), ("kind", "kind"), ("given_on", "given_on"))
    assert ("reported_by", "reporter_id") in columns("incidents")
    assert ("single_point_of_contact", "spoc_staff_id") in columns("restrictions")
    # Every key that names staff comes from a column that holds a staff id.
    for kind in FIELDS:
        for key, column in columns(kind):
            if key in STAFF_FIELDS:
                assert column.endswith("_id"), (kind, key)
    # The export refuses "..._by" keys it does not know: every one here is known.
    named = {key for kind in FIELDS for key, _ in columns(kind) if key.endswith("_by")}
    assert named - STAFF_FIELDS == {"send_by"}  # how a letter is sent, not who


def test_values_are_written_by_key_and_type() -> None:
    show = Show({7: "Jo Reed"}, LONDON)
    assert show.value("recorded_by", 7) == "Jo Reed"
    assert show.value("recorded_by", 99) == "staff #99"  # a name no longer held
    assert show.value("decided_by", None) is None
    assert show.value("occurred", JULY) == "2026-07-14T10:15+01:00"
    assert show.value("given_on", date(2026, 7, 15)) == "2026-07-15"
    listed, mapped = ["a"], {"k": "v"}
    assert (
        show.value("behaviours", listed) == listed
        and show.value("behaviours", listed) is not listed
    )
    assert show.value("criteria", mapped) == mapped and show.value("criteria", mapped) is not mapped
    assert show.value("strategy_id", 7) == 7  # an id that is not a member of staff


def test_the_record_nests_restrictions_and_disclosures_and_names_staff() -> None:
    person = m.Person(reference="SC-2026-00042", name="Zoë Example", created_at=JULY)
    restrictions = [
        m.Restriction(id=9, kind="single_method", blocked_channels=[], spoc_staff_id=None),
        m.Restriction(id=8, kind="call_limit", blocked_channels=[], spoc_staff_id=2),
    ]
    strategy = m.ContactStrategy(
        id=3, proposer_id=1, incident_ids=[], criteria={}, unusable_methods=[],
        review_date=date(2026, 10, 12), restrictions=restrictions,
    )  # fmt: skip
    request = m.SharingRequest(id=4, requested_by_id=1, created_at=JULY)
    disclosure = m.Disclosure(sharing_request_id=4, disclosed_by_id=2, disclosed_at=JULY, note="n")
    rows = held(contact_strategies=[strategy], sharing_requests=[request], disclosures=[disclosure])
    assert staff_ids(rows) == {1, 2}
    record = shape(person, rows, Show({1: "Jo Reed", 2: "Sam Patel"}, LONDON))
    assert list(record) == ["time_zone", "person", *SECTIONS]
    assert record["person"]["created"] == "2026-07-14T10:15+01:00"
    (entry,) = record["contact_strategies"]
    assert entry["proposed_by"] == "Jo Reed" and entry["review_date"] == "2026-10-12"
    assert [r["kind"] for r in entry["restrictions"]] == ["call_limit", "single_method"]  # by id
    assert entry["restrictions"][0]["single_point_of_contact"] == "Sam Patel"
    (shared,) = record["sharing_requests"]
    assert shared["disclosures"] == [
        {"disclosed_by": "Sam Patel", "disclosed": "2026-07-14T10:15+01:00", "note": "n"}
    ]
    assert record["letters"] == [] and record["incidents"] == []


def staff(name: str, email: str, *roles: str) -> m.StaffMember:
    member = m.StaffMember(name=name, email=email)
    member.roles = [m.StaffRole(role=r) for r in roles]
    return member


def test_staff_are_shown_by_their_most_senior_role_or_generically() -> None:
    jo = staff("Jo Reed", "jo.reed@example.org", "manager", "authoriser")
    left = staff("Lee Left", "lee@example.org")
    assert role_label(jo) == "authoriser" and role_label(left) == "former member of staff"
    twins = [
        staff("Sam Patel", "sam1@example.org", "staff"),
        staff("Sam Patel", "sam2@example.org", "admin"),
    ]
    assert labels_by_name([jo, *twins]) == {"Jo Reed": "authoriser", "Sam Patel": GENERIC}


def test_free_text_loses_names_and_addresses_whole_words_longest_first() -> None:
    team = [
        staff("Jo Reed", "jo.reed@example.org", "manager"),
        staff("Jo Reed-Smith", "jrs@example.org", "authoriser"),
        staff("Al", "al@example.org", "staff"),  # too short to find safely in text
    ]
    scrub = scrubber(team, labels_by_name(team))
    assert (
        scrub("Spoke to JO REED-SMITH, then jo reed.") == "Spoke to [authoriser], then [manager]."
    )
    assert scrub("Write to jo.reed@example.org") == "Write to [manager]"
    assert scrub("Jo Reeds called") == "Jo Reeds called"  # not a whole word
    assert scrub("Al said") == "Al said"
    assert scrubber([], {})("Jo Reed") == "Jo Reed"


def test_relabelling_replaces_staff_fields_and_refuses_unknown_ones() -> None:
    by_name = {"Jo Reed": "manager"}
    scrub = scrubber([staff("Jo Reed", "jo@example.org", "manager")], by_name)
    entry = {"recorded_by": "Jo Reed", "decided_by": None, "send_by": "post",
             "notes": ["Jo Reed agreed"], "nested": {"logged_by": "Someone Else"}}  # fmt: skip
    assert relabel(entry, by_name, scrub) == {
        "recorded_by": "manager",
        "decided_by": None,
        "send_by": "post",
        "notes": ["[manager] agreed"],
        "nested": {"logged_by": GENERIC},
    }
    with pytest.raises(ValueError, match="escalated_by"):
        relabel({"escalated_by": "Jo Reed"}, by_name, scrub)
