"""The policy's rules as pure functions: no database, no server, microseconds each.

The end-to-end tests prove each rule through Slack and Teams; these pin the rule itself
down, case by case, so a change to a rule fails here first and says which case broke.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cards.ids import IncidentField as IF
from cards.ids import ReviewField as RF
from cards.ids import StrategyField as SF
from dialogs.authorisation.rules import check_may_decide, others
from dialogs.breach.rules import confirmation, time_errors
from dialogs.dispute.rules import assign, may_still_decide, why
from dialogs.errors import DomainError, Forbidden
from dialogs.incident.rules import check_may_act, deciders, not_in_future, report_errors
from dialogs.office import PolicySettings
from dialogs.review.rules import continue_errors, may_continue, may_review
from dialogs.strategy.rules import (
    may_propose,
    needs_large_print,
    one_year_on,
    open_routes,
    proposal_errors,
    review_date_errors,
)
from storage.models import ContactStrategy, StaffMember, StaffRole

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)
CRITERIA = ["addressed", "communication", "access", "misunderstandings", "proportionate"]


def person(staff_id: int, *roles: str, name: str = "") -> StaffMember:
    return StaffMember(
        id=staff_id,
        name=name or f"Staff {staff_id}",
        email=f"s{staff_id}@example.org",
        in_directory=True,
        roles=[StaffRole(role=r) for r in roles],
    )


SAM = person(1, "staff")
JO = person(2, "staff", "manager")
ALEX = person(3, "authoriser")
BEA = person(4, "authoriser")
CASEY = person(5, "chief_executive")
ADA = person(6, "admin")


# -- incidents (s6) -------------------------------------------------------------------


def test_a_report_names_someone_once_and_did_not_happen_tomorrow() -> None:
    assert report_errors({IF.PERSON: None, IF.NEW_PERSON: None}, NOW) == {
        IF.PERSON: "Choose who this was, or give a new person's name below."
    }
    assert IF.NEW_PERSON in report_errors({IF.PERSON: 7, IF.NEW_PERSON: "Robin"}, NOW)
    assert report_errors({IF.PERSON: 7, IF.NEW_PERSON: None}, NOW) == {}
    assert report_errors({IF.OCCURRED_AT: NOW + timedelta(minutes=9)}, NOW) == {}
    assert IF.OCCURRED_AT in report_errors({IF.OCCURRED_AT: NOW + timedelta(minutes=11)}, NOW)
    assert IF.ACTIONS in report_errors({IF.ACTIONS: ["none", "warned"]}, NOW)
    assert report_errors({IF.ACTIONS: ["none"]}, NOW) == {}


def test_the_manager_is_told_else_the_authorisers_else_the_admins() -> None:
    told = deciders(SAM, JO, [ALEX], [ADA])
    assert [p.id for p in told.people] == [JO.id] and not told.fallback
    assert told.description == "your manager, Staff 2"
    told = deciders(SAM, None, [ALEX, BEA], [ADA])
    assert [p.id for p in told.people] == [ALEX.id, BEA.id] and told.fallback
    # An authoriser reporting, with no manager: the other authorisers, never themself.
    assert [p.id for p in deciders(ALEX, None, [ALEX, BEA], [ADA]).people] == [BEA.id]
    assert [p.id for p in deciders(ALEX, None, [ALEX], [ADA]).people] == [ADA.id]


def test_only_the_cards_recipients_or_an_authoriser_act_and_never_the_reporter() -> None:
    told = deciders(SAM, JO, [], [])
    check_may_act(JO, SAM.id, told)
    check_may_act(ALEX, SAM.id, told)
    with pytest.raises(Forbidden, match="your manager"):
        check_may_act(SAM, SAM.id, told)
    with pytest.raises(Forbidden, match="Only the reporter's manager"):
        check_may_act(ADA, SAM.id, told)
    # An authoriser who reported it is still the reporter.
    with pytest.raises(Forbidden):
        check_may_act(ALEX, ALEX.id, deciders(ALEX, JO, [], []))


def test_a_warning_or_referral_date_has_already_happened() -> None:
    assert not_in_future(TODAY, TODAY, "f") == {}
    assert not_in_future(TODAY + timedelta(days=1), TODAY, "f") == {
        "f": "This date is in the future."
    }
    assert not_in_future(None, TODAY, "f") == {}


# -- strategies (s5, s6, s7, s7.2) ----------------------------------------------------


def test_who_may_propose() -> None:
    assert may_propose(JO) and may_propose(ALEX)
    assert not may_propose(SAM) and not may_propose(CASEY) and not may_propose(ADA)


def test_a_strategy_leaves_a_route_open() -> None:
    assert open_routes(["call_limit"], None, []) == {"letter", "email", "telephone", "in_person"}
    assert open_routes(["single_method"], "letter", []) == {"letter"}
    assert open_routes(["block_channels"], None, ["email", "telephone"]) == {"letter", "in_person"}
    assert open_routes(["single_method", "block_channels"], "email", ["email"]) == set()


def _proposal(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        SF.RESTRICTIONS: ["call_limit"],
        SF.CALL_MINUTES: 10,
        SF.METHOD: None,
        SF.DEDICATED_EMAIL: None,
        SF.BLOCKED: [],
        SF.ADVOCATE_NAME: None,
        SF.ADVOCATE_CONTACT: None,
        SF.SPOC: None,
        SF.UNUSABLE: [],
        SF.WARNING_GIVEN: "yes",
        SF.NO_WARNING_REASON: None,
        SF.CRITERIA: CRITERIA,
        SF.INCIDENTS: ["7"],
        SF.REVIEW_DATE: TODAY + timedelta(days=90),
        SF.LETTER_CHANNEL: "letter",
    }
    values.update(overrides)
    return values


def _errors(**overrides: object) -> dict[str, str]:
    return proposal_errors(_proposal(**overrides), incident_ids={"7"}, staff_ids={2}, today=TODAY)


def test_a_good_proposal_has_no_errors() -> None:
    assert _errors() == {}


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({SF.RESTRICTIONS: []}, SF.RESTRICTIONS, "at least one"),
        ({SF.CALL_MINUTES: None}, SF.CALL_MINUTES, "how long a call"),
        (
            {
                SF.RESTRICTIONS: ["single_method", "block_channels"],
                SF.METHOD: "email",
                SF.BLOCKED: ["email"],
            },
            SF.BLOCKED,
            "blocked the one method",
        ),
        (
            {
                SF.RESTRICTIONS: ["block_channels"],
                SF.BLOCKED: ["letter", "email", "telephone", "in_person"],
            },
            SF.RESTRICTIONS,
            "close every route",
        ),
        (
            {
                SF.RESTRICTIONS: ["single_method"],
                SF.METHOD: "telephone",
                SF.UNUSABLE: ["telephone"],
                SF.LETTER_CHANNEL: None,
            },
            SF.RESTRICTIONS,
            "no method they can use",
        ),
        (
            {SF.RESTRICTIONS: ["single_method"], SF.METHOD: "email"},
            SF.LETTER_CHANNEL,
            "closes letter",
        ),
        ({SF.WARNING_GIVEN: "no", SF.NO_WARNING_REASON: None}, SF.NO_WARNING_REASON, "(s6"),
        ({SF.CRITERIA: CRITERIA[:4]}, SF.CRITERIA, "All five"),
        ({SF.INCIDENTS: ["8"]}, SF.INCIDENTS, "this person's incidents"),
        ({SF.REVIEW_DATE: TODAY}, SF.REVIEW_DATE, "in the future"),
        ({SF.REVIEW_DATE: one_year_on(TODAY) + timedelta(days=1)}, SF.REVIEW_DATE, "12 months"),
        ({SF.SPOC: "s:99"}, SF.SPOC, "staff directory"),
        (
            {SF.RESTRICTIONS: ["dedicated_email"], SF.DEDICATED_EMAIL: "not an address"},
            SF.DEDICATED_EMAIL,
            "not an email",
        ),
    ],
)
def test_each_proposal_rule(overrides: dict[str, object], field: str, says: str) -> None:
    errors = _errors(**overrides)
    assert field in errors and says in errors[field], errors


def test_an_advocate_is_a_route_when_needs_rule_out_every_method() -> None:
    needs_everything = {SF.UNUSABLE: ["letter", "email", "telephone", "in_person"]}
    assert SF.RESTRICTIONS in _errors(**needs_everything)
    advocate = {
        SF.RESTRICTIONS: ["advocate_only"],
        SF.ADVOCATE_NAME: "Pat Advocate",
        SF.ADVOCATE_CONTACT: "01234 567890",
        **needs_everything,
    }
    assert _errors(**advocate) == {}


def test_the_year_and_the_review_date() -> None:
    assert one_year_on(date(2028, 2, 29)) == date(2029, 2, 28)
    assert review_date_errors(TODAY + timedelta(days=1), TODAY, "d") == {}
    assert review_date_errors(one_year_on(TODAY) + timedelta(days=1), TODAY, "d", again=True) == {
        "d": "Review it again within 12 months."
    }


def test_large_print_is_suggested_from_needs_they_told_us() -> None:
    assert needs_large_print("Partially sighted; please use large print", "")
    assert not needs_large_print("Prefers email", "Calls before noon")


# -- reviews (s7, s7.1) and authorisations (s7) ---------------------------------------


def _strategy(proposer: StaffMember) -> ContactStrategy:
    return ContactStrategy(id=9, proposer_id=proposer.id, status="active", restrictions=[])


def test_who_may_review_and_who_may_continue() -> None:
    proposed_by_jo, proposed_by_alex = _strategy(JO), _strategy(ALEX)
    assert may_review(JO, proposed_by_jo) and may_review(ALEX, proposed_by_jo)
    assert not may_review(SAM, proposed_by_jo) and not may_review(JO, proposed_by_alex)
    assert may_continue(ALEX, proposed_by_jo, separate=True)
    assert not may_continue(JO, proposed_by_jo, separate=True)  # not an authoriser
    assert not may_continue(ALEX, proposed_by_alex, separate=True)  # their own proposal
    errors = continue_errors(
        ALEX, proposed_by_alex, {RF.NEW_REVIEW_DATE: None}, TODAY, separate=True
    )
    assert "its own safeguard" in errors[RF.OUTCOME]
    assert errors[RF.NEW_REVIEW_DATE] == "Give the next review date."


def test_an_office_with_one_authoriser_can_turn_the_separation_off() -> None:
    """Not deciding one's own proposal is the office's safeguard, not s7's: a setting,
    on by default. Off, an authoriser may decide their own; s7's rule (only an
    authoriser) still holds."""
    proposed_by_alex = _strategy(ALEX)
    assert may_continue(ALEX, proposed_by_alex, separate=False)
    assert not may_continue(JO, _strategy(JO), separate=False)
    check_may_decide(ALEX, ALEX.id, separate=False)
    with pytest.raises(Forbidden, match="Only an authoriser"):
        check_may_decide(JO, JO.id, separate=False)
    assert [a.id for a in others([ALEX, BEA], ALEX.id, separate=False)] == [ALEX.id, BEA.id]
    assert PolicySettings().separate_proposer_and_authoriser is True


def test_nobody_decides_their_own_request() -> None:
    check_may_decide(ALEX, JO.id, separate=True)
    with pytest.raises(Forbidden, match="keeps who asks and who decides apart"):
        check_may_decide(ALEX, ALEX.id, separate=True)
    with pytest.raises(Forbidden, match="Only an authoriser"):
        check_may_decide(JO, SAM.id, separate=True)
    assert [a.id for a in others([ALEX, BEA], ALEX.id, separate=True)] == [BEA.id]


# -- disputes (s7.3) and breaches (s7.1, s7.2) ----------------------------------------


def test_a_dispute_goes_to_someone_who_took_no_part() -> None:
    assert assign([CASEY], [ALEX, BEA], {JO.id, ALEX.id}).decider is CASEY
    took_part = assign([CASEY], [ALEX, BEA], {JO.id, CASEY.id})
    assert took_part.decider is ALEX and took_part.involved_ces == [CASEY]
    assert "took part in the decision" in took_part.why
    assert "no Chief Executive" in assign([], [ALEX], {JO.id}).why
    with pytest.raises(DomainError, match="Nobody independent"):
        assign([CASEY], [ALEX], {CASEY.id, ALEX.id})
    assert why(CASEY, [], True).startswith("As Chief Executive")
    gone = person(7, "chief_executive")
    gone.in_directory = False
    assert may_still_decide(CASEY) and not may_still_decide(gone) and not may_still_decide(JO)


def test_a_breach_happened_after_the_strategy_came_into_force() -> None:
    since = NOW - timedelta(days=2, seconds=30)
    ok = time_errors(NOW - timedelta(days=1), now=NOW, in_force_since=since, field="f", local="x")
    assert ok == {}
    # The minute it came into force counts: pickers stop at the minute.
    assert (
        time_errors(since.replace(second=0), now=NOW, in_force_since=since, field="f", local="x")
        == {}
    )
    before = time_errors(
        since - timedelta(minutes=1), now=NOW, in_force_since=since, field="f", local="1 Dec"
    )
    assert "came into force on 1 Dec" in before["f"]
    assert (
        "future"
        in time_errors(
            NOW + timedelta(minutes=6), now=NOW, in_force_since=since, field="f", local=""
        )["f"]
    )


def test_the_breach_confirmation_says_who_was_alerted_and_the_threshold() -> None:
    text = confirmation("SC-2026-00001", ["Alex"], 3, threshold_reached=True, window_days=30)
    assert "I've alerted Alex." in text and "breach 3 in 30 days" in text and "(s7.2)" in text
    assert "no one else to alert" in confirmation(
        "R", [], 1, threshold_reached=False, window_days=30
    )


def test_the_letter_must_be_able_to_reach_them() -> None:
    """s7 (told in writing): by email only with an address that looks like one."""
    from cards.ids import StrategyField as SF
    from dialogs.strategy.rules import letter_address_errors

    by_email = {SF.LETTER_CHANNEL: "email", SF.EMAIL: ""}
    assert list(letter_address_errors(by_email)) == [SF.EMAIL]
    assert letter_address_errors({**by_email, SF.EMAIL: "zed@example.org"}) == {}
    assert list(letter_address_errors({SF.LETTER_CHANNEL: "letter", SF.EMAIL: "zed@x"})) == [
        SF.EMAIL
    ]
    assert letter_address_errors({SF.LETTER_CHANNEL: "letter", SF.EMAIL: ""}) == {}


def test_who_may_send_a_letter_record_it_or_say_where_it_goes() -> None:
    """One rule for emailing, Record letter sent and Their address (s7): the letter's
    author, or a manager, an authoriser, the Chief Executive or an admin."""
    from dialogs.notice.rules import check_may_send
    from storage.models import Letter

    by_sam = Letter(created_by_id=SAM.id)
    check_may_send(SAM, by_sam)  # its author
    for member in (JO, ALEX, person(9, "chief_executive"), person(10, "admin")):
        check_may_send(member, Letter(created_by_id=JO.id))
    with pytest.raises(Forbidden, match="Only a manager, an authoriser"):
        check_may_send(person(11, "staff"), by_sam)


# -- s6: each action at the time belongs to its channel ----------------------------------


@pytest.mark.parametrize(
    ("channel", "actions", "expected"),
    [
        ("telephone", ["warned", "ended_call"], None),
        ("telephone", ["ended_call"], "Tick the warning too"),
        ("email", ["warned", "ended_call"], "Ending or holding a call is for a telephone call"),
        ("social_media", ["post_deleted"], None),
        ("social_media", ["post_deleted", "blocked"], None),
        ("letter", ["post_deleted"], "Recording and deleting a post is for social media"),
        ("email", ["blocked"], "Blocking the sender is for social media"),
        ("in_person", ["warned"], None),
        (None, ["ended_call"], None),  # the channel's own error says it
    ],
)
def test_actions_at_the_time_belong_to_their_channel(
    channel: str | None, actions: list[str], expected: str | None
) -> None:
    from dialogs.incident.rules import channel_action_error

    said = channel_action_error(channel, actions)
    assert (said is None) if expected is None else (said is not None and expected in said)
    if expected is not None:
        assert "(s6" in said or "s6:" in said  # type: ignore[operator]
