"""Where a person's letters go: their postal address and email, kept on their record.

Asked on the strategy form (dialogs/strategy/form.py) and on "Their address" from the
card an unsent letter comes with (dialogs/notice/address.py): one pair of fields and one
audited way of keeping them, whichever form asked (s7: the person is told in writing).
"""

from __future__ import annotations

from typing import Any

from cards.forms import FieldSpec
from cards.ids import StrategyField as F
from dialogs import fields as f
from dialogs.change import Change
from dialogs.kinds import AuditAction
from storage.models import Person

MAX_ADDRESS = 500
MAX_EMAIL = 254


def fields() -> list[FieldSpec]:
    """The two fields, as every form that asks them asks them."""
    return [
        f.textarea(
            F.POSTAL_ADDRESS,
            "Their postal address",
            max_length=MAX_ADDRESS,
            required=False,
            hint="Printed on the letter; kept on their record for later letters.",
        ),
        f.text(
            F.EMAIL,
            "Their email address",
            max_length=MAX_EMAIL,
            required=False,
            hint="Needed to send a letter by email.",
        ),
    ]


def values(person: Person) -> dict[str, str]:
    """The fields filled from their record."""
    return {F.POSTAL_ADDRESS: person.postal_address or "", F.EMAIL: person.email or ""}


async def keep(uow: Change, person: Person, given_values: dict[str, Any]) -> list[str]:
    """Keep what the form changed on their record, audited (s7); what changed."""
    given = {
        "postal_address": (given_values.get(F.POSTAL_ADDRESS) or "").strip() or None,
        "email": (given_values.get(F.EMAIL) or "").strip() or None,
    }
    changed = [k for k, value in given.items() if value != getattr(person, k)]
    if not changed:
        return []
    for key in changed:
        setattr(person, key, given[key])
    await uow.audit(
        AuditAction.PERSON_CONTACT_DETAILS, person, case=person.reference, changed=changed
    )
    return changed
