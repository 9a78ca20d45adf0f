"""The person field's type-ahead."""

from cards.ids import IncidentField
from dialogs.interactions import Lookup, Turn
from dialogs.people.find import search


async def _search(turn: Turn, query: str) -> list:
    return await search(turn.ctx, query)


INTERACTIONS = (Lookup(IncidentField.PERSON, _search),)
