"""Welfare check-ins (Appendix A). Answers are welfare data: the staff member's own.

Nothing here reaches the case file; the manager learns only that someone would like to
talk, and only when they ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import catalogue as cat
from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import BadRequest, NotFound
from dialogs.policy_map import carries
from storage import audit
from storage import staff as staff_repo
from storage.models import StaffMember, WelfareCheckIn


@dataclass
class WelfareReply:
    """The check-in as it should now read, plus the support card when asked for."""

    checkin: dict[str, Any]
    note: str = ""
    support: dict[str, Any] | None = None


async def _own_checkin(
    session: AsyncSession, actor: StaffMember, checkin_id: Any
) -> WelfareCheckIn:
    checkin = await session.get(WelfareCheckIn, checkin_id) if isinstance(checkin_id, int) else None
    # Someone else's check-in is reported as missing: its existence is welfare data too.
    if checkin is None or checkin.staff_id != actor.id:
        raise NotFound("That check-in could not be found.")
    return checkin


async def start(ctx: Ctx, *, actor: StaffMember) -> dict[str, Any]:
    """/checkin: a check-in the staff member asked for themselves."""
    async with ctx.db.write() as session:
        checkin = WelfareCheckIn(staff_id=actor.id, kind="self", created_at=ctx.now)
        session.add(checkin)
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="welfare.checkin_started",
            entity_type="welfare_checkin",
            entity_id=checkin.id,
            at=ctx.now,
        )
        return notify.checkin_model(checkin)


async def answer(ctx: Ctx, *, actor: StaffMember, checkin_id: Any, choice: str) -> WelfareReply:
    if choice not in {a.id for a in cat.WELFARE_ANSWERS}:
        raise BadRequest("That answer is not one of the options.")
    async with ctx.db.write() as session:
        checkin = await _own_checkin(session, actor, checkin_id)
        first_talk = choice == "talk" and checkin.answer != "talk"
        checkin.answer = choice
        checkin.answered_at = ctx.now
        # The audit trail records that an answer was given, never which (welfare data).
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="welfare.answered",
            entity_type="welfare_checkin",
            entity_id=checkin.id,
            at=ctx.now,
        )
        reply = WelfareReply(checkin=notify.checkin_model(checkin, answer=choice))
        if choice == "ok":
            reply.note = "Thanks for letting me know. If that changes, type /checkin at any time."
        elif choice == "talk":
            member = await session.get(StaffMember, actor.id)
            assert member is not None
            manager = await staff_repo.manager_of(session, member=member)
            if manager is None:
                admins = await staff_repo.with_role(session, role="admin")
                who = ", ".join(a.name for a in admins[:2]) or "your IT team"
                reply.note = (
                    "You don't have a manager in the staff directory, so I couldn't ask "
                    f"anyone for you. Please ask {who} to add your manager, and in the "
                    "meantime here is the support available."
                )
                reply.support = support_model(ctx, checkin)
            else:
                if first_talk:
                    await notify.send(
                        session,
                        to=manager,
                        template="talk_request",
                        model={"staff_name": member.name},
                        origin=member,
                    )
                reply.note = (
                    f"I've asked {manager.name} to get in touch with you. "
                    "I told them only that you'd like to talk."
                )
        else:
            reply.support = support_model(ctx, checkin)
    ctx.wake_outbox()
    return reply


def support_model(ctx: Ctx, checkin: WelfareCheckIn) -> dict[str, Any]:
    org = ctx.organisation
    policies = [
        {"label": label, "url": url}
        for label, url in (
            ("Health and Safety Policy", org.health_and_safety_policy_url),
            ("Dignity at Work Policy", org.dignity_at_work_policy_url),
            ("Diversity and Equal Opportunities schemes", org.diversity_policy_url),
        )
        if url
    ]
    return {
        "checkin_id": checkin.id,
        "eap": {
            "name": org.eap_name,
            "phone": org.eap_phone,
            "url": org.eap_url,
            "details": org.eap_details,
        },
        "policies": policies,
        "privacy_steps": [
            {"id": s.id, "label": s.label, "done": s.id in checkin.privacy_steps_done}
            for s in cat.PRIVACY_STEPS
        ],
    }


async def save_privacy_steps(
    ctx: Ctx, *, actor: StaffMember, checkin_id: Any, steps: list[str]
) -> None:
    """The staff member's own ticks; no one else sees them."""
    known = {s.id for s in cat.PRIVACY_STEPS}
    if not all(isinstance(s, str) and s in known for s in steps):
        raise BadRequest("That step is not on the checklist.")
    async with ctx.db.write() as session:
        checkin = await _own_checkin(session, actor, checkin_id)
        checkin.privacy_steps_done = sorted(set(steps))


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
    ),
)
