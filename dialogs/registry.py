"""The registry every transport dispatches from: each domain's declarations, in one place.

Built on first use, not at import, so importing dialogs/ has no side effects.
"""

from __future__ import annotations

import importlib
from functools import cache

from dialogs.interactions import Registry

# The modules that declare INTERACTIONS, in the order help lists their commands.
DECLARING = (
    "dialogs.incident.interactions",
    "dialogs.case.interactions",
    "dialogs.strategy.interactions",
    "dialogs.breach.interactions",
    "dialogs.home",
    "dialogs.welfare.interactions",
    "dialogs.people.interactions",
    "dialogs.authorisation.interactions",
    "dialogs.sharing.interactions",
    "dialogs.review.interactions",
    "dialogs.contact.interactions",
    "dialogs.matter.interactions",
    "dialogs.further_action.interactions",
    "dialogs.dispute.interactions",
    "dialogs.notice.interactions",
    "dialogs.letter_email.interactions",
    "dialogs.help",
)


@cache
def registry() -> Registry:
    reg = Registry()
    for name in DECLARING:
        reg.add(*importlib.import_module(name).INTERACTIONS)
    return reg
