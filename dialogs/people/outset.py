"""s5, "asked at the outset": whether a person has been asked about their needs, and the
words that prompt it, shared by the manager's card and the needs form."""

from __future__ import annotations

from storage.models import Person

NOT_ASKED = (
    "They have not yet been asked whether they need help to communicate with us (s5). "
    "Ask them, and record what they say."
)


def asked(who: Person) -> bool:
    return bool(who.needs_history)
