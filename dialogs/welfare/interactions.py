"""The welfare interactions: answers to a check-in, the privacy checklist, /checkin."""

from cards.ids import ActionId
from dialogs.interactions import Button, Command
from dialogs.jobs.payloads import WelfareFollowUp
from dialogs.policy_map import carries
from dialogs.welfare import flow
from dialogs.welfare.jobs import followup

INTERACTIONS = (
    Button(ActionId.WELFARE_OK, "checkin_id", flow.answering("ok")),
    Button(ActionId.WELFARE_TALK, "checkin_id", flow.answering("talk")),
    Button(ActionId.WELFARE_SUPPORT, "checkin_id", flow.answering("support")),
    Button(ActionId.PRIVACY_STEPS, "checkin_id", flow.save_privacy_steps, checklist="privacy"),
    Button(ActionId.NEW_CHECKIN, "", flow.start),
    Command(
        "checkin",
        "checkin",
        "Tell me how you are; I'll point you to support",
        flow.start,
        writes=True,
    ),
)

JOBS = {WelfareFollowUp.kind: followup}

POLICY = (
    carries(
        "2",
        "Support mechanisms for staff: the employee assistance programme and a request to "
        "talk to their manager, privately.",
        "tests/e2e/test_slack_actions.py::test_welfare_support_shows_eap_policies_and_private_checklist",
        "tests/e2e/test_slack_actions.py::test_welfare_talk_tells_the_manager_nothing_else",
    ),
    carries(
        "8",
        "The support card links the Health and Safety Policy, the Dignity at Work Policy "
        "and the Diversity and Equal Opportunities schemes.",
        "tests/unit/test_policy_coverage.py::test_the_support_card_links_the_related_policies",
    ),
    carries(
        "A",
        "Welfare check-ins after an incident and at any time, answers kept to the staff "
        "member, the manager told only that they would like to talk.",
        "tests/e2e/test_slack_actions.py::test_welfare_ok",
        "tests/e2e/test_slack_actions.py::test_welfare_talk_tells_the_manager_nothing_else",
        "tests/e2e/test_slack_actions.py::test_welfare_support_shows_eap_policies_and_private_checklist",
        "tests/e2e/test_slack_actions.py::test_checkin_command_any_time",
        "tests/integration/test_scheduler.py::test_welfare_follow_up_fires_once_after_24_hours",
        "tests/integration/test_scheduler.py::test_follow_up_falling_on_a_weekend_waits_for_monday",
    ),
)
