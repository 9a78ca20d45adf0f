"""Who is asking: a platform user id matched to the staff directory, or a polite refusal."""

from __future__ import annotations

from dialogs.context import Ctx
from dialogs.errors import NotInDirectory
from storage import directory_snapshot
from storage.models import StaffMember


async def resolve(ctx: Ctx, *, platform: str, user_id: str) -> StaffMember:
    """The directory entry behind a Slack or Teams user, with roles loaded.

    Asked before every request, so it is answered from the directory's snapshot
    (storage/directory_snapshot.py), which any change to the staff tables drops.
    Someone not in the directory is told who can add them; nothing is stored about them.
    """
    directory = directory_snapshot.of(ctx.db)
    member = await directory.member(platform=platform, user_id=user_id)
    if member is not None:
        return member
    raise NotInDirectory(not_in_directory_message(ctx, await directory.admins()))


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
