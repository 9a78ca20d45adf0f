"""Pure retention rules (s9, Appendix A): who is due, what anonymising removes, the plan.

No database: rows are unsaved model instances, so each test runs in microseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.kinds import Template
from dialogs.office import PolicySettings
from dialogs.records import retention_rules as rules
from dialogs.records.retention_rules import REMOVED, Due, Plan, cutoffs
from storage import models as m

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)


def test_the_two_clocks_count_back_years_and_months() -> None:
    cut = cutoffs(NOW, PolicySettings(retention_years=6, welfare_retention_months=12))
    assert cut.case == datetime(2022, 2, 28, 12, 0, tzinfo=LONDON)
    assert cut.welfare == datetime(2027, 2, 28, 12, 0, tzinfo=LONDON)


def test_a_case_is_due_only_past_its_time_with_nothing_live_and_nobody_asking() -> None:
    cutoff = datetime(2022, 1, 1, tzinfo=UTC)
    old, recent = datetime(2021, 12, 31, tzinfo=UTC), cutoff
    assert rules.due(old, cutoff, live=False, requested=False) is Due.PURGE
    assert (
        rules.due(recent, cutoff, live=False, requested=False) is Due.KEEP
    )  # not before the cutoff
    assert rules.due(old, cutoff, live=True, requested=False) is Due.KEEP  # a strategy not over
    assert (
        rules.due(old, cutoff, live=False, requested=True) is Due.HELD
    )  # a request being answered
    assert rules.due(old, cutoff, live=True, requested=True) is Due.KEEP
    assert set(rules.LIVE_STRATEGY) == {"active", "pending"}
    assert set(rules.WELFARE_TEMPLATES) == {
        Template.WELFARE_CHECKIN,
        Template.SUPPORT,
        "talk_request",
    }


def case() -> tuple[m.Person, dict[str, list[Any]]]:
    """A person and one of every row on their case, unsaved."""
    person = m.Person(
        id=1, reference="SC-2020-00001", name="Olive Oldcase", additional_needs="Dyslexia",
        reasonable_adjustments="Large print", advocate_name="Ann Advocate",
        advocate_contact="ann@example.org",
    )  # fmt: skip
    restriction = m.Restriction(id=5, kind="single_method", email_address="o@example.org")
    strategy = m.ContactStrategy(
        id=3,
        reasons="Threats",
        no_warning_reason="n/a",
        adjustments_considered="Advocate",
        criteria={"addressed": "yes", "proportionate": "email only"},
        unusable_methods=["telephone"],
        restrictions=[restriction],
    )
    held = {
        "incidents": [
            m.Incident(id=2, what_happened="Shouted", impact="Upset", known_needs="Dyslexia",
                       channel="telephone", behaviours=["abuse"], violence=True)
        ],
        "warnings": [m.Warning(id=4, behaviour_to_change="No shouting")],
        "police_referrals": [m.PoliceReferral(id=6, police_reference="WK-1")],
        "contact_strategies": [strategy],
        "authorisations": [m.Authorisation(id=8, decision_reason="Proportionate")],
        "reviews": [m.Review(id=9, reasons="Still needed")],
        "breaches": [m.Breach(id=10, description="Rang the switchboard")],
        "disputes": [m.Dispute(id=11, grounds="Unfair", outcome_reasons="Upheld")],
        "contact_logs": [m.ContactLog(id=12, summary="Asked for an update")],
        "further_actions": [m.FurtherAction(id=17, kind="other", details="Wrote to Olive's MP")],
        "matters": [m.Matter(id=18, summary="Olive's new complaint", outcome="Answered Olive")],
        "sharing_requests": [m.SharingRequest(id=13, agency="ASC", what="Case", reason_detail="x")],
        "disclosures": [m.Disclosure(id=14, note="Sent securely")],
        "letters": [m.Letter(id=15), m.Letter(id=16)],
    }  # fmt: skip
    return person, held


def test_anonymising_removes_personal_content_and_keeps_what_is_counted() -> None:
    person, held = case()
    rules.anonymise(person, held, at=NOW)
    assert (person.name, person.reference, person.anonymised_at) == (
        rules.ANONYMISED_NAME,
        "SC-2020-00001",
        NOW,
    )
    assert person.additional_needs == person.reasonable_adjustments == ""
    assert person.advocate_name is None and person.advocate_contact is None
    (incident,) = held["incidents"]
    assert (incident.what_happened, incident.impact, incident.known_needs) == (REMOVED, "", "")
    assert (incident.channel, incident.behaviours, incident.violence) == (
        "telephone",
        ["abuse"],
        True,
    )
    (strategy,) = held["contact_strategies"]
    assert strategy.reasons == REMOVED and strategy.adjustments_considered == ""
    assert strategy.criteria == {"addressed": "", "proportionate": ""}  # still attested
    assert strategy.unusable_methods == []
    assert strategy.restrictions[0].email_address is None
    assert strategy.restrictions[0].kind == "single_method"
    assert held["warnings"][0].behaviour_to_change == REMOVED
    assert held["police_referrals"][0].police_reference == REMOVED
    assert held["authorisations"][0].decision_reason == ""
    assert held["reviews"][0].reasons == REMOVED
    assert held["breaches"][0].description == REMOVED
    assert (held["disputes"][0].grounds, held["disputes"][0].outcome_reasons) == (REMOVED, "")
    assert held["contact_logs"][0].summary == REMOVED
    assert held["further_actions"][0].details == REMOVED
    assert (held["matters"][0].summary, held["matters"][0].outcome) == (REMOVED, REMOVED)
    request = held["sharing_requests"][0]
    assert (request.agency, request.what, request.reason_detail) == (REMOVED, REMOVED, "")
    assert held["disclosures"][0].note == ""
    left = repr([vars(person)] + [vars(r) for rows in held.values() for r in rows])
    left += repr(vars(strategy.restrictions[0]))
    for personal in ("Olive", "Dyslexia", "Shouted", "Threats", "ann@", "o@example", "WK-1"):
        assert personal not in left, personal


def test_the_plan_counts_rows_and_says_what_it_will_do() -> None:
    person, held = case()
    anonymised = rules.counts(held)
    assert list(anonymised)[:5] == [
        "incidents",
        "warnings",
        "police referrals",
        "strategies",
        "restrictions",
    ]
    assert set(anonymised.values()) == {1}
    purge = rules.PersonPurge(
        1, person.reference, datetime(2021, 5, 1, tzinfo=UTC), anonymised,
        {"letters": 2, "outbox messages": 0}, person, held,
    )  # fmt: skip
    plan = Plan(
        now=NOW,
        cutoffs=cutoffs(NOW, PolicySettings()),
        people=(purge,),
        held_by_request=("SC-2020-00009",),
        outbox_ids=(21,),
        welfare_checkin_ids=(31, 32),
        welfare_message_ids=(41,),
    )
    assert plan.letter_ids == [15, 16]
    assert (plan.welfare_checkins, plan.welfare_messages, plan.empty) == (2, 1, False)
    lines = plan.describe(LONDON)
    assert lines[0] == (
        "Cases with no activity since before 2022-02-28 are anonymised; "
        "welfare check-ins from before 2027-02-28 are deleted."
    )
    assert lines[1].startswith("  SC-2020-00001: last activity 2021-05-01; anonymise 1 incidents")
    assert lines[1].endswith("; delete 2 letters")
    assert "SC-2020-00009: past its retention period but kept" in lines[2]
    assert lines[3] == "Welfare: delete 2 check-ins and 1 messages that carried them."
    nothing = Plan(now=NOW, cutoffs=plan.cutoffs, people=(), held_by_request=())
    assert nothing.empty and "No case is past its retention period." in nothing.describe(LONDON)


def test_the_clocks_run_in_the_office_zone() -> None:
    # 23:30 UTC on 31 December 2027 is already New Year's Day in Auckland.
    eve = datetime(2027, 12, 31, 23, 30, tzinfo=UTC)
    auckland = PolicySettings(timezone="Pacific/Auckland")
    assert cutoffs(eve, auckland).case.date() == date(2022, 1, 1)
    assert cutoffs(eve, PolicySettings()).case.date() == date(2021, 12, 31)
