"""The staff directory as the bot uses it: the file's entries, with chat ids found by email.

A `[[staff]]` entry needs only an email. The bot finds the person's Slack id with
`users.lookupByEmail` at each directory sync, and their Teams id from the Teams roster
when they first message the bot or install it. An id the file gives must agree with the
one found, or the sync refuses with one line naming the person: a wrong id would send
someone else the manager's card, with a member of the public's details on it.

The rule (`disagreements`) is pure; `entries_for_sync` and `link` apply it to what is
stored. Nothing here knows Slack or Teams beyond their names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from dialogs.context import Ctx
from storage import audit, identities, teams_refs
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.staff import DirectoryEntry

PLATFORMS = {"slack": "Slack", "teams": "Teams"}
FIELD = {"slack": "slack_user_id", "teams": "teams_user_id"}
# How each platform's accounts are found.
SOURCE = {"slack": "email", "teams": "roster"}

# (platform, email) -> the account found for that person.
FoundIds = Mapping[tuple[str, str], str]


class DirectoryRefused(Exception):
    """The directory's ids disagree with the accounts found; str() is one line a person."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


@dataclass(frozen=True)
class Entry:
    """A directory entry with the ids in use: given in the file, or else found."""

    name: str
    email: str
    roles: Sequence[str]
    manager: str | None
    slack_user_id: str | None
    teams_user_id: str | None
    head_of_business_services: bool = False
    nominated_by: str | None = None
    nominated_on: date | None = None


def disagreements(entries: Sequence[DirectoryEntry], found: FoundIds) -> list[str]:
    """One line for each person whose given id is not the account found for them."""
    owner = {(platform, user_id): email for (platform, email), user_id in found.items()}
    lines = []
    for i, entry in enumerate(entries):
        for platform, name in PLATFORMS.items():
            field = FIELD[platform]
            given = getattr(entry, field)
            if given is None:
                continue
            theirs = found.get((platform, entry.email))
            who = f"staff[{i}] ({entry.name}, {entry.email})"
            fix = "correct it, or remove it and let the bot find it"
            if theirs is not None and theirs != given:
                lines.append(
                    f"{who}: {field} is {given} in the file, but {name} gives {theirs} "
                    f"for {entry.email}; {fix}"
                )
                break
            other = owner.get((platform, given))
            if theirs is None and other is not None and other != entry.email:
                lines.append(f"{who}: {field} {given} is {other}'s {name} account; {fix}")
                break
    return lines


def wipe_refusal(
    current: Sequence[str], entries: Sequence[DirectoryEntry], *, source: str
) -> str | None:
    """Why a sync that would remove every person in the directory is refused, or None.

    Such a sync is never what an operator meant: it is a command run without the
    configuration file (or against the wrong database), and it would strip everyone's
    roles, so every person is told they are not in the directory and their due reminders
    are spent as "left the directory" (issue 12). A deliberate fresh start uses a new
    database instead.
    """
    if not current or {e.email for e in entries} & set(current):
        return None
    n = len(current)
    everyone = "the one person" if n == 1 else f"all {n} people"
    if not entries:
        return (
            f"{source} has no [[staff]] entries, so syncing it would remove {everyone} in the "
            "database's directory; nothing was changed. Run the command where its "
            "safecontact.toml is, or set SAFECONTACT_CONFIG (and DATABASE_URL) as the server has"
        )
    return (
        f"nobody in {source} is in the database's directory, so syncing it would remove "
        f"{everyone} there; nothing was changed. Check that SAFECONTACT_CONFIG and "
        "DATABASE_URL name the right file and database; to start a new directory afresh, "
        "use a new database"
    )


def with_found_ids(entries: Sequence[DirectoryEntry], found: FoundIds) -> list[Entry]:
    return [
        Entry(
            name=e.name,
            email=e.email,
            roles=list(e.roles),
            manager=e.manager,
            slack_user_id=e.slack_user_id or found.get(("slack", e.email)),
            teams_user_id=e.teams_user_id or found.get(("teams", e.email)),
            head_of_business_services=e.head_of_business_services,
            nominated_by=e.nominated_by,
            nominated_on=e.nominated_on,
        )
        for e in entries
    ]


async def entries_for_sync(
    session: AsyncSession,
    entries: Sequence[DirectoryEntry],
    *,
    slack_found: Mapping[str, str | None] | None,
    source: str = "the directory to sync",
) -> list[Entry]:
    """The entries to sync, with found ids filled in; refuses on any disagreement, and
    refuses a sync that would remove everyone (`wipe_refusal`; `source` names the file).

    `slack_found` is this sync's users.lookupByEmail result by email (None for no
    account); None when Slack was not asked, and then what was found before stands.
    """
    current = [m.email for m in await staff_repo.list_staff(session)]
    wipe = wipe_refusal(current, entries, source=source)
    if wipe is not None:
        raise DirectoryRefused([wipe])
    found: dict[tuple[str, str], str] = {
        (f.platform, f.email): f.user_id for f in await identities.all_found(session)
    }
    if slack_found is not None:
        for email, user_id in slack_found.items():
            found.pop(("slack", email), None)
            if user_id is not None:
                found[("slack", email)] = user_id
        # An account another person held before is now found for someone else.
        fresh = {user_id for user_id in slack_found.values() if user_id}
        for key, user_id in list(found.items()):
            if key[0] == "slack" and key[1] not in slack_found and user_id in fresh:
                del found[key]
    problems = disagreements(entries, found)
    if problems:
        raise DirectoryRefused(problems)
    return with_found_ids(entries, found)


async def record_found(
    session: AsyncSession, *, slack_found: Mapping[str, str | None] | None, now: datetime
) -> None:
    """Store this sync's lookups, once the directory's people exist; forget the departed."""
    if slack_found is not None:
        await identities.replace(
            session, platform="slack", source=SOURCE["slack"], found=slack_found, now=now
        )
    await identities.forget_departed(session)


@dataclass(frozen=True)
class Link:
    """What became of an account found by email: linked now, known already, in conflict
    with an id the directory gives, or nobody in the directory has that email."""

    outcome: str  # linked | known | conflict | unknown
    staff_id: int | None = None


async def link(ctx: Ctx, *, platform: str, user_id: str, emails: Sequence[str]) -> Link:
    """Link an account found by email (the Teams roster) to the person with that email."""
    field = FIELD[platform]
    wanted = [e.strip().lower() for e in emails if e and "@" in e]
    if not wanted:
        return Link("unknown")
    async with ctx.db.write() as session:
        member = await staff_repo.first_in_directory_with_email(session, emails=wanted)
        if member is None:
            return Link("unknown")
        found = {(f.platform, f.email): f.user_id for f in await identities.all_found(session)}
        current = getattr(member, field)
        holder = None
        if current != user_id:
            holder = await staff_repo.holding_account(session, field=field, user_id=user_id)
        # An id in use that the bot did not find was given in the directory file.
        given_here = (
            current not in (None, user_id) and found.get((platform, member.email)) != current
        )
        given_elsewhere = holder is not None and found.get((platform, holder.email)) != user_id
        # Recorded whatever follows (unchanged rows are left alone): in a conflict, so
        # the next directory sync refuses and says who.
        await identities.replace(
            session,
            platform=platform,
            source=SOURCE[platform],
            found={member.email: user_id},
            now=ctx.now,
        )
        if current == user_id:
            return Link("known", member.id)
        if given_here or given_elsewhere:
            return Link("conflict", member.id)
        if holder is not None:  # found for them before; the platform now says otherwise
            setattr(holder, field, None)
            await session.flush()
        setattr(member, field, user_id)
        await audit.record(
            session,
            actor=f"system:{platform}",
            action="staff.linked",
            entity_type="staff",
            entity_id=member.id,
            detail={"platform": platform, "source": SOURCE[platform]},
        )
        return Link("linked", member.id)


@dataclass(frozen=True)
class Reach:
    """Where a member of staff can be messaged, and how the bot knows their accounts."""

    staff_id: int
    name: str
    email: str
    roles: tuple[str, ...]
    slack_id: str | None
    slack_how: str  # given (in the file only) | found (by the bot; the file may agree) | none
    teams_id: str | None
    teams_how: str
    # Teams can be messaged first only once a conversation reference is stored (their
    # first message to the bot, or its install).
    teams_ready: bool

    def where(self, *, slack_on: bool, teams_on: bool) -> list[str]:
        places = []
        if slack_on and self.slack_id:
            places.append("Slack")
        if teams_on and self.teams_id and self.teams_ready:
            places.append("Teams")
        return places


async def reach_of_staff(session: AsyncSession) -> list[Reach]:
    """Everyone in the directory, with their accounts and where each came from."""
    found = {(f.platform, f.email): f.user_id for f in await identities.all_found(session)}
    refs = await teams_refs.linked_users(session)

    def how(platform: str, email: str, in_use: str | None) -> str:
        if in_use is None:
            return "none"
        theirs = found.get((platform, email))
        return "given" if theirs is None else ("found" if theirs == in_use else "given")

    people = []
    for m in await staff_repo.list_staff(session):
        people.append(
            Reach(
                staff_id=m.id,
                name=m.name,
                email=m.email,
                roles=tuple(sorted(m.role_names)),
                slack_id=m.slack_user_id,
                slack_how=how("slack", m.email, m.slack_user_id),
                teams_id=m.teams_user_id,
                teams_how=how("teams", m.email, m.teams_user_id),
                teams_ready=m.teams_user_id in refs,
            )
        )
    return people
