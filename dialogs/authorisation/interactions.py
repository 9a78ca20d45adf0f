"""The authoriser's card: Approve, Deny, Ask for changes, and the reason form (s7, s7.1)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.authorisation import decide
from dialogs.authorisation.jobs import nudge
from dialogs.authorisation.rules import AUTHORISERS
from dialogs.context import Ctx
from dialogs.errors import BadRequest
from dialogs.interactions import Button, Click, Form, Turn, opens
from dialogs.jobs.payloads import AuthorisationNudge
from dialogs.policy_map import carries
from storage.models import StaffMember


async def _approve(turn: Turn, click: Click) -> str:
    return await decide.decide(
        turn.ctx, actor=turn.actor, authorisation_id=click.value, decision="approve"
    )


async def _deny(ctx: Ctx, actor: StaffMember, authorisation_id: int) -> FormSpec:
    return await decide.reason_form(ctx, actor, authorisation_id, "deny")


async def _changes(ctx: Ctx, actor: StaffMember, authorisation_id: int) -> FormSpec:
    return await decide.reason_form(ctx, actor, authorisation_id, "changes")


async def _spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    # Who may decide is checked when the decision is stored, from the database.
    return decide.decision_form(
        turn.ctx,
        authorisation_id=context.get("authorisation_id"),  # type: ignore[arg-type]
        decision=str(context.get("decision")),
    )


async def _submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    decision = context.get("decision")
    if decision not in ("deny", "changes"):
        # The reason form only ever denies or sends back; Approve is its own button.
        raise BadRequest("This form's details are not valid; please use the card's buttons.")
    return await decide.decide(
        turn.ctx,
        actor=turn.actor,
        authorisation_id=context.get("authorisation_id"),
        decision=decision,
        submitted=values,
    )


INTERACTIONS = (
    Button(ActionId.APPROVE, "authorisation_id", _approve, AUTHORISERS),
    opens(ActionId.DENY, "authorisation_id", _deny, who=AUTHORISERS),
    opens(ActionId.ASK_CHANGES, "authorisation_id", _changes, who=AUTHORISERS),
    Form(FormName.DECISION, "Decision recorded", _spec, _submit, AUTHORISERS),
)

JOBS = {AuthorisationNudge.kind: nudge}

POLICY = (
    carries(
        "7",
        "Only an authoriser may restrict contact, never on their own proposal, and the "
        "first decision wins; on approval the letter to the person says what the policy "
        "requires.",
        "tests/test_slack_strategy.py::test_permission_matrix",
        "tests/test_slack_strategy.py::test_authoriser_cannot_decide_own_proposal",
        "tests/test_slack_strategy.py::test_double_click_and_concurrent_decisions_give_one_decision",
        "tests/test_slack_strategy.py::test_letter_says_everything_the_policy_requires",
    ),
    carries(
        "7",
        "An authorisation left undecided is chased.",
        "tests/test_scheduler.py::test_undecided_authorisation_nudges_after_the_configured_hours",
    ),
    carries(
        "7.1",
        "A strategy coming into force stores its review reminders.",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/test_scheduler.py::test_review_reminders_on_their_days_then_weekly_while_overdue",
    ),
)
