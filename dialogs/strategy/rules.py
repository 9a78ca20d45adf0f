"""The rules a contact strategy must satisfy (s5, s6, s7, s7.2): pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from cards.ids import StrategyField as F
from dialogs import catalogue as cat
from dialogs.interactions import Who
from storage.models import ContactStrategy, Restriction, StaffMember

PROPOSER_ROLES = ("manager", "authoriser")
ROUTES = tuple(m.id for m in cat.CONTACT_METHODS)
# One address, no spaces, a dot in the domain: enough to catch a slip, not to prove it
# works (the mail server is the judge of that).
EMAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")


def may_propose(actor: StaffMember) -> bool:
    return any(actor.has_role(r) for r in PROPOSER_ROLES)


PROPOSERS = Who(
    may_propose,
    "Only a manager or an authoriser can propose a contact strategy. "
    "Talk to your manager: they can propose one from the incident card.",
)


def one_year_on(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def review_date_errors(
    review: date | None, today: date, field: str, *, again: bool = False
) -> dict[str, str]:
    """A review date is in the future and within 12 months (s7: "a review date")."""
    if review is None:
        return {}
    if review <= today:
        return {field: "The review date must be in the future."}
    if review > one_year_on(today):
        return {field: f"Review it {'again ' if again else ''}within 12 months."}
    return {}


def open_routes(kinds: list[str], method: str | None, blocked: list[str]) -> set[str]:
    """The contact methods a strategy leaves open (s7.2: never none)."""
    routes = set(ROUTES)
    if "block_channels" in kinds:
        routes -= set(blocked)
    if "single_method" in kinds and method:
        routes &= {method}
    return routes


def routes_of(restrictions: list[Restriction]) -> set[str]:
    kinds = [r.kind for r in restrictions]
    method = next((r.contact_method for r in restrictions if r.kind == "single_method"), None)
    blocked = next((r.blocked_channels for r in restrictions if r.kind == "block_channels"), [])
    return open_routes(kinds, method, blocked)


def spoc_id(strategy: ContactStrategy) -> int | None:
    return next((r.spoc_staff_id for r in strategy.restrictions if r.kind == "spoc"), None)


# What each restriction needs, and what to say when it is missing.
PARAMETERS = {
    "call_limit": (F.CALL_MINUTES, "Say how long a call may last."),
    "single_method": (F.METHOD, "Choose the one method they may use."),
    "dedicated_email": (F.DEDICATED_EMAIL, "Give the dedicated email address."),
    "block_channels": (F.BLOCKED, "Choose what to block."),
    "advocate_only": (F.ADVOCATE_NAME, "Give the advocate's name."),
    "spoc": (F.SPOC, "Choose the single point of contact."),
}


def _parameter_errors(v: dict[str, Any], kinds: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for kind in kinds:
        field, message = PARAMETERS[kind]
        if field in v and not v[field]:
            errors[field] = message
    if "advocate_only" in kinds and F.ADVOCATE_CONTACT in v and not v[F.ADVOCATE_CONTACT]:
        errors[F.ADVOCATE_CONTACT] = "Give the advocate's contact details."
    email = v.get(F.DEDICATED_EMAIL)
    if "dedicated_email" in kinds and email and ("@" not in email or " " in email):
        errors[F.DEDICATED_EMAIL] = "That is not an email address."
    if (
        "single_method" in kinds
        and "block_channels" in kinds
        and v.get(F.METHOD) in (v.get(F.BLOCKED) or [])
    ):
        errors[F.BLOCKED] = "You blocked the one method you allowed."
    return errors


def _route_errors(v: dict[str, Any], kinds: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    routes = open_routes(kinds, v.get(F.METHOD), v.get(F.BLOCKED) or [])
    usable = routes - set(v.get(F.UNUSABLE) or [])
    if not routes:
        errors[F.RESTRICTIONS] = (
            "This would close every route to the office. They must still be able to "
            "contact us about other matters (s7.2)."
        )
    elif not usable and "advocate_only" not in kinds:
        errors[F.RESTRICTIONS] = (
            "Given the needs recorded for them, this leaves no method they can use. "
            "Leave a method they can use open, or require an advocate (s5)."
        )
    channel = v.get(F.LETTER_CHANNEL)
    if channel and channel not in routes:
        errors[F.LETTER_CHANNEL] = (
            f"The strategy closes {cat.label(cat.CONTACT_METHODS, channel).lower()}; "
            "send the letter by a method it leaves open."
        )
    return errors


def proposal_errors(
    v: dict[str, Any], *, incident_ids: set[str], staff_ids: set[int], today: date
) -> dict[str, str]:
    """Every rule of a proposal, on the answers that passed their basic checks."""
    kinds: list[str] = v.get(F.RESTRICTIONS) or []
    errors: dict[str, str] = {}
    if F.RESTRICTIONS in v and not kinds:
        errors[F.RESTRICTIONS] = "Choose at least one restriction."
    errors.update(_parameter_errors(v, kinds))
    if F.RESTRICTIONS in v and not errors:
        errors.update(_route_errors(v, kinds))
    if v.get(F.WARNING_GIVEN) == "no" and F.NO_WARNING_REASON in v and not v[F.NO_WARNING_REASON]:
        errors[F.NO_WARNING_REASON] = (
            "Say why no warning was given first (s6: wherever possible they should have the "
            "chance to change)."
        )
    if F.CRITERIA in v and set(v[F.CRITERIA]) != {c.id for c in cat.CRITERIA}:
        errors[F.CRITERIA] = "All five must be satisfied before contact can be restricted (s7)."
    if F.INCIDENTS in v and not set(v[F.INCIDENTS]) <= incident_ids:
        errors[F.INCIDENTS] = "Choose from this person's incidents."
    errors.update(review_date_errors(v.get(F.REVIEW_DATE), today, F.REVIEW_DATE))
    spoc = v.get(F.SPOC)
    if spoc and not any(f"s:{i}" == spoc for i in staff_ids):
        errors[F.SPOC] = "Choose someone from the staff directory."
    errors.update(letter_address_errors(v))
    return errors


def letter_address_errors(v: dict[str, Any]) -> dict[str, str]:
    """The letter must be able to reach them (s7: told in writing): by email only with an
    email address; an address given must look like one."""
    email = (v.get(F.EMAIL) or "").strip()
    if email and not EMAIL.fullmatch(email):
        return {F.EMAIL: "This does not look like an email address (name@example.org)."}
    if v.get(F.LETTER_CHANNEL) == "email" and F.EMAIL in v and not email:
        return {F.EMAIL: "Give their email address, or send the letter by post."}
    return {}


def needs_large_print(additional_needs: str, adjustments: str) -> bool:
    text = f"{additional_needs} {adjustments}".lower()
    return any(k in text for k in ("large print", "sight", "visual", "blind"))
