"""The welfare interactions: answers to a check-in, the privacy checklist, /checkin."""

from collections.abc import Awaitable, Callable

from cards.ids import ActionId
from dialogs.interactions import Answer, Button, Click, Command, Turn
from dialogs.jobs.payloads import WelfareFollowUp
from dialogs.policy_map import carries
from dialogs.welfare import flow
from dialogs.welfare.jobs import followup


def _answering(choice: str) -> Callable[[Turn, Click], Awaitable[Answer]]:
    async def run(turn: Turn, click: Click) -> Answer:
        return await flow.answer(turn.ctx, actor=turn.actor, checkin_id=click.value, choice=choice)

    return run


async def _privacy(turn: Turn, click: Click) -> str:
    return await flow.save_privacy_steps(
        turn.ctx, actor=turn.actor, checkin_id=click.value, steps=click.chosen
    )


async def _start(turn: Turn, *_: object) -> Answer:
    return await flow.start(turn.ctx, actor=turn.actor)


INTERACTIONS = (
    Button(ActionId.WELFARE_OK, "checkin_id", _answering("ok")),
    Button(ActionId.WELFARE_TALK, "checkin_id", _answering("talk")),
    Button(ActionId.WELFARE_SUPPORT, "checkin_id", _answering("support")),
    Button(ActionId.PRIVACY_STEPS, "checkin_id", _privacy, checklist="privacy"),
    Button(ActionId.NEW_CHECKIN, "", _start),
    Command("checkin", "checkin", "Tell me how you are; I'll point you to support", _start),
)

JOBS = {WelfareFollowUp.kind: followup}

POLICY = (
    carries(
        "2",
        "Support mechanisms for staff: the employee assistance programme and a request to "
        "talk to their manager, privately.",
        "tests/test_slack_actions.py::test_welfare_support_shows_eap_policies_and_private_checklist",
        "tests/test_slack_actions.py::test_welfare_talk_tells_the_manager_nothing_else",
    ),
    carries(
        "8",
        "The support card links the Health and Safety Policy, the Dignity at Work Policy "
        "and the Diversity and Equal Opportunities schemes.",
        "tests/test_policy_coverage.py::test_the_support_card_links_the_related_policies",
    ),
    carries(
        "A",
        "Welfare check-ins after an incident and at any time, answers kept to the staff "
        "member, the manager told only that they would like to talk.",
        "tests/test_slack_actions.py::test_welfare_ok",
        "tests/test_slack_actions.py::test_welfare_talk_tells_the_manager_nothing_else",
        "tests/test_slack_actions.py::test_welfare_support_shows_eap_policies_and_private_checklist",
        "tests/test_slack_actions.py::test_checkin_command_any_time",
        "tests/test_scheduler.py::test_welfare_follow_up_fires_once_after_24_hours",
        "tests/test_scheduler.py::test_follow_up_falling_on_a_weekend_waits_for_monday",
    ),
)
