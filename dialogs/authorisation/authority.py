"""s7, on what authority someone authorises: "the Head of Business Services and
Assurance, or senior staff nominated by the Chief Executive". The directory file says
which for each authoriser (head_of_business_services, or nominated_by and nominated_on,
checked there against a chief executive); this says it in words, for the authoriser's card
and for `doctor` and `serve`, which warn about an authoriser with neither recorded."""

from __future__ import annotations

from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import StaffMember

HEAD = "Head of Business Services and Assurance"


def words(member: StaffMember, nominator: str | None) -> str:
    """How their authority reads: as the Head, nominated by whom and when, or that nothing
    is recorded; `nominator`, the name of whoever nominated them (else their email)."""
    if member.head_of_business_services:
        return f"as {HEAD}"
    if member.nominated_by_email and member.nominated_on:
        by = nominator or member.nominated_by_email
        return f"nominated by {by} on {member.nominated_on:%d %b %Y}"
    return "no authority recorded in the staff directory (s7)"


async def of(session: AsyncSession, member: StaffMember) -> str:
    """`words` for a member, with their nominator's name looked up by email."""
    nominator = None
    if member.nominated_by_email:
        found = await staff_repo.get_by_email(session, email=member.nominated_by_email)
        nominator = found.name if found is not None else None
    return words(member, nominator)


def unrecorded(entries: list[tuple[str, list[str], bool, str | None]]) -> list[str]:
    """The authorisers whose authority the directory does not give, by name: (name,
    roles, head of business services, nominated by) for each entry."""
    return [
        name
        for name, roles, head, nominated_by in entries
        if "authoriser" in roles and not head and not nominated_by
    ]


def warning(names: list[str]) -> str:
    return (
        f"no authority is recorded for {', '.join(names)}: s7 says an authoriser is the "
        f"{HEAD} or senior staff nominated by the Chief Executive; set "
        "head_of_business_services = true, or nominated_by and nominated_on, on their "
        "[[staff]] entry"
    )
