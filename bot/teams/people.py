"""The person field on Teams: a typed case reference or full name, resolved to "p:<id>".

Adaptive Cards 1.5 has no server-backed typeahead (the schema's ChoiceSet has no
`choices.data`), so staff type what they know: the case reference, or the person's name
exactly as it is on file. The neutral type-ahead (`dialogs.incident.search_people`) finds
the candidates; this picks the one meant, or says precisely why it can't, so the form
comes back with the message under the field.
"""

from __future__ import annotations

import re

from cards.forms import Choice
from dialogs import incident
from dialogs.context import Ctx

REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{5,}$", re.IGNORECASE)
SUGGEST = 3


def _parts(choice: Choice) -> tuple[str, str]:
    """(name, reference) from a search result labelled "Name (SC-2026-00042)"."""
    name, _, rest = choice.label.rpartition(" (")
    return name, rest.removesuffix(")")


async def resolve(ctx: Ctx, *, text: str) -> str:
    """The person value for `text`; ValueError carries the message shown under the field."""
    text = " ".join(text.split())
    choices = await incident.search_people(ctx, query=text)
    if REFERENCE.match(text):
        exact = [c for c in choices if _parts(c)[1].upper() == text.upper()]
        if exact:
            return exact[0].value
        raise ValueError(
            f"No one on file has the reference {text}. Check it, or give a new person's "
            "name below if they are new to us."
        )
    exact = [c for c in choices if _parts(c)[0].casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0].value
    if len(exact) > 1:
        refs = ", ".join(_parts(c)[1] for c in exact[:SUGGEST])
        raise ValueError(
            f"More than one person on file is called {text} ({refs}); type the case "
            "reference instead."
        )
    if choices:
        names = "; ".join(c.label for c in choices[:SUGGEST])
        raise ValueError(f"No one on file is called exactly {text}. Did you mean: {names}?")
    raise ValueError(
        f"No one on file matches {text}. Give a new person's name below if they are new to us."
    )
