"""Finding the member of the public a form, a button or a command is about.

Staff name people three ways: a case reference, part of a name, or (on a Teams card,
which has no type-ahead) the name typed in full. Each way ends in one person, or in a
message that says exactly why not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cards.forms import Choice, FormSpec
from cards.text import clean_input
from dialogs.context import Ctx
from dialogs.errors import DomainError, NotFound
from storage import people as people_repo
from storage.db import AsyncSession
from storage.models import Person

MAX_QUERY = 100
SEARCH_LIMIT = 20
SUGGEST = 3
REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{5,}$", re.IGNORECASE)


async def person(session: AsyncSession, person_id: Any) -> Person:
    """The person a form or button names; NotFound if they are not (or no longer) on file."""
    found = await people_repo.get_live(session, person_id=person_id)
    if found is None:
        raise NotFound("That person could not be found.")
    return found


async def form_about(
    ctx: Ctx, context: dict[str, Any], spec: Callable[[Ctx, Person], FormSpec]
) -> FormSpec:
    """A form about the person its button named (`person_id`): one loader for the forms
    opened from /case (further action, sharing), refused in the words `person` uses."""
    async with ctx.db.read() as session:
        return spec(ctx, await person(session, context.get("person_id")))


async def one_person(session: AsyncSession, query: str, *, usage: str) -> Person:
    """Exactly one person for a typed reference or name, or a message saying why not."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        raise DomainError(f"Tell me who it is about: `{usage} SC-2026-00042`.")
    found = await people_repo.find(session, query=query)
    if len(found) != 1:
        raise DomainError(
            f"No one on file matches '{query}'."
            if not found
            else f"'{query}' matches {len(found)} people; use their case reference."
        )
    return found[0]


def label(p: Person) -> str:
    """How a person reads in a list: "Name (SC-2026-00042)", within Slack's 75 characters."""
    suffix = f" ({p.reference})"
    return p.name[: 75 - len(suffix)] + suffix


async def search(ctx: Ctx, query: str) -> list[Choice]:
    """The person field's type-ahead: a reference's start or part of a name."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return []
    async with ctx.db.read() as session:
        found = await people_repo.search(session, query=query, limit=SEARCH_LIMIT)
    return [Choice(value=f"p:{p.id}", label=label(p)) for p in found]


async def resolve_typed(ctx: Ctx, text: str) -> str:
    """The person field's value ("p:<id>") for a typed reference or full name.

    ValueError carries the message shown under the field (cards/text.UnsafeText is one).
    """
    text = " ".join(clean_input(text).split())
    async with ctx.db.read() as session:
        found = await people_repo.search(session, query=text[:MAX_QUERY], limit=SEARCH_LIMIT)
    if REFERENCE.match(text):
        exact = [p for p in found if p.reference.upper() == text.upper()]
        if exact:
            return f"p:{exact[0].id}"
        raise ValueError(
            f"No one on file has the reference {text}. Check it, or give a new person's "
            "name below if they are new to us."
        )
    exact = [p for p in found if p.name.casefold() == text.casefold()]
    if len(exact) == 1:
        return f"p:{exact[0].id}"
    if len(exact) > 1:
        refs = ", ".join(p.reference for p in exact[:SUGGEST])
        raise ValueError(
            f"More than one person on file is called {text} ({refs}); type the case "
            "reference instead."
        )
    if found:
        names = "; ".join(label(p) for p in found[:SUGGEST])
        raise ValueError(f"No one on file is called exactly {text}. Did you mean: {names}?")
    raise ValueError(
        f"No one on file matches {text}. Give a new person's name below if they are new to us."
    )
