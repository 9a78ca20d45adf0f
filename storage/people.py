"""Members of the public: finding them by case reference or name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from storage.db import AsyncSession
from storage.models import Person

MAX_MATCHES = 50


def like_escaped(text: str) -> str:
    """`text` with LIKE's wildcards made literal (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_live(session: AsyncSession, *, person_id: Any) -> Person | None:
    """The person with this id, unless they were anonymised (their case is closed for good).

    Ids come from forms and buttons, so anything that is not an int finds nobody.
    """
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        return None
    person = await session.get(Person, person_id)
    return person if person is not None and person.anonymised_at is None else None


async def find(session: AsyncSession, *, query: str) -> list[Person]:
    """A case reference finds exactly its person; otherwise a name fragment finds candidates.

    Anonymised people are left out of the name search: their name is gone and they would
    only crowd the list. Their reference still finds them, so an auditor can follow one.
    """
    query = query.strip()
    if not query:
        return []
    by_ref = (
        await session.execute(select(Person).where(func.upper(Person.reference) == query.upper()))
    ).scalar_one_or_none()
    if by_ref is not None:
        return [by_ref]
    stmt = (
        select(Person)
        .where(
            func.lower(Person.name).contains(query.lower(), autoescape=True),
            Person.anonymised_at.is_(None),
        )
        .order_by(Person.name, Person.reference)
        .limit(MAX_MATCHES)
    )
    return list((await session.execute(stmt)).scalars())


async def search(session: AsyncSession, *, query: str, limit: int) -> list[Person]:
    """Type-ahead: a case reference's start, or any part of a name; wildcards are literal."""
    escaped = like_escaped(query)
    stmt = (
        select(Person)
        .where(
            Person.anonymised_at.is_(None),
            or_(
                Person.reference.ilike(escaped.upper() + "%", escape="\\"),
                Person.name.ilike("%" + escaped + "%", escape="\\"),
            ),
        )
        .order_by(Person.name)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
