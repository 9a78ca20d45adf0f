"""Who is asking: a platform user id matched to the staff directory, or a polite refusal."""

from __future__ import annotations

from dialogs.context import Ctx
from dialogs.errors import NotInDirectory
from storage import staff as staff_repo
from storage.models import StaffMember


async def resolve(ctx: Ctx, *, platform: str, user_id: str) -> StaffMember:
    """The directory entry behind a Slack or Teams user, with roles loaded.

    Someone not in the directory is told who can add them; nothing is stored about them.
    """
    async with ctx.db.read() as session:
        if platform == "slack":
            member = await staff_repo.get_by_slack_id(session, slack_user_id=user_id)
        else:
            member = await staff_repo.get_by_teams_id(session, teams_user_id=user_id)
        if member is not None and member.in_directory and member.role_names:
            return member
        admins = await staff_repo.with_role(session, role="admin")
    raise NotInDirectory(not_in_directory_message(ctx, [(a.name, a.email) for a in admins]))


def not_in_directory_message(ctx: Ctx, admins: list[tuple[str, str]]) -> str:
    if admins:
        who = " or ".join(f"{name} ({email})" for name, email in admins[:3])
    elif ctx.organisation.email:
        who = f"your IT team at {ctx.organisation.email}"
    else:
        who = "your IT team"
    return (
        "Sorry, you're not in safecontact's staff directory yet, so I can't take reports "
        f"or show case details for you. Please ask {who} to add you."
    )
