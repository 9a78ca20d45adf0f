"""The incident interactions: the report form and command, and the card's buttons."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.incident import follow_up, police, report
from dialogs.incident.jobs import police_nudge
from dialogs.interactions import Button, Command, Form, opens
from dialogs.jobs.payloads import PoliceReferralNudge
from dialogs.policy_map import carries, left_to_judgement

INTERACTIONS = (
    Command("incident", "incident", "Report unacceptable or unreasonable behaviour", report.form),
    Button(ActionId.NEW_INCIDENT, "", report.form),
    Form(FormName.INCIDENT, "Report saved", report.form, report.submit),
    Button(ActionId.ACKNOWLEDGE, "incident_id", follow_up.acknowledge),
    opens(ActionId.RECORD_WARNING, "incident_id", follow_up.warning_form),
    Form(FormName.WARNING, "Warning recorded", follow_up.warning_form, follow_up.submit_warning),
    opens(ActionId.RECORD_POLICE, "incident_id", follow_up.police_form),
    Form(
        FormName.POLICE_REFERRAL,
        "Referral recorded",
        follow_up.police_form,
        follow_up.submit_police,
    ),
    opens(
        ActionId.RECORD_NOT_REFERRED,
        "incident_id",
        follow_up.not_referred_form,
        who=police.NOT_REFERRING,
    ),
    Form(
        FormName.POLICE_NOT_REFERRED,
        "Decision recorded",
        follow_up.not_referred_form,
        follow_up.submit_not_referred,
        who=police.NOT_REFERRING,
    ),
)

JOBS = {PoliceReferralNudge.kind: police_nudge}
POLICY = (
    carries(
        "2",
        "Staff report unacceptable or unreasonable behaviour in chat; the report is kept "
        "with its audit event and the reporter gets a receipt.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
        "tests/e2e/test_teams_incident.py::test_incident_full_path",
    ),
    carries(
        "4",
        "The s4 self-check is asked on every report, and an answer of No is shown to the "
        "manager as something to address first.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
    ),
    carries(
        "5",
        "Known additional needs are asked on every report, taken as told, and kept on the person.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
    ),
    carries(
        "6",
        "The reporter's manager is told of every incident (the authorisers when there is "
        "none), and violence used or threatened marks a police report as required.",
        "tests/e2e/test_slack_incident.py::test_no_manager_sends_card_to_authorisers",
        "tests/e2e/test_slack_incident.py::test_violence_marks_police_report_required",
    ),
    carries(
        "6",
        "From the incident card the manager records a warning (a written one produces the "
        "letter saying what must change) or a police referral.",
        "tests/e2e/test_slack_actions.py::test_written_warning_stores_letter_and_uploads_it",
        "tests/e2e/test_slack_actions.py::test_verbal_warning_makes_no_letter",
        "tests/e2e/test_slack_actions.py::test_police_referral_is_recorded",
    ),
    carries(
        "6",
        "A police report required stays open until the referral, or an authoriser's "
        "reason for not making it, is recorded; the manager is reminded in office hours "
        "after 1, 3 and 7 days, then the authorisers are told; outstanding referrals are "
        "listed on the App Home, in waiting, on /case and in the oversight report.",
        "tests/integration/test_scheduler.py::test_police_referral_nudge_only_when_none_recorded",
        "tests/integration/test_scheduler.py::"
        "test_police_referral_is_chased_at_1_3_and_7_days_then_escalated",
        "tests/e2e/test_slack_police.py::"
        "test_an_open_referral_is_escalated_and_an_authoriser_records_why_not",
        "tests/e2e/test_teams_police.py::"
        "test_waiting_lists_an_open_referral_and_an_authoriser_closes_it",
        "tests/integration/test_records_report.py::"
        "test_police_reports_still_to_make_are_as_they_stood_at_the_month_end",
    ),
    carries(
        "6",
        "What staff did at the time is checked against the channel the policy gives it: "
        "a call held or ended only on a telephone report and after a warning on that "
        "call; a post recorded and deleted, or the sender blocked, only on social media; "
        "and a block only after further abuse (an earlier social media report or a "
        "warning on file) or under a strategy in force that blocks social media, which "
        "the report's audit event records.",
        "tests/unit/test_rules.py::test_actions_at_the_time_belong_to_their_channel",
        "tests/e2e/test_channel_actions.py::test_a_call_cannot_be_ended_on_an_email_report",
        "tests/e2e/test_channel_actions.py::"
        "test_blocking_follows_further_abuse_and_is_recorded_against_it",
        "tests/e2e/test_channel_actions.py::test_teams_gives_the_refusal_under_the_field",
        "tests/e2e/test_channel_actions.py::test_a_strategy_that_blocks_social_media_permits_the_block",
    ),
    left_to_judgement(
        "5",
        "Members of the public are asked at the outset if they need additional assistance "
        "to communicate.",
        "Not carried out by the bot yet: the report asks the member of staff what needs are "
        "known, and keeps them as told, but nothing prompts anyone to ask the person.",
    ),
    left_to_judgement(
        "6",
        "Staff remain polite and calm, and remove themselves and seek support when they "
        "cannot; an action wholly in line with the policy is no wrongdoing.",
        "Conduct and the finding on a complaint are people's judgements. The bot supports "
        "the first with the welfare check-in and a request to talk (Appendix A).",
    ),
)
