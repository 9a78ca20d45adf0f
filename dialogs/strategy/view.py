"""How a strategy reads on cards, in /case and in letters: one wording for each restriction."""

from __future__ import annotations

from typing import Any

from dialogs import catalogue as cat
from dialogs.strategy.rules import routes_of, spoc_id
from storage.models import ContactStrategy, Restriction


def describe_restriction(r: Restriction, names: dict[int, str]) -> str:
    if r.kind == "call_limit":
        return f"Phone calls limited to {r.call_minutes} minutes"
    if r.kind == "single_method":
        return f"Contact only by {cat.label(cat.CONTACT_METHODS, r.contact_method or '').lower()}"
    if r.kind == "dedicated_email":
        return f"Emails only to {r.email_address}, which is diverted to the case team"
    if r.kind == "block_channels":
        labels = [
            cat.label(cat.CONTACT_METHODS, c) if c != "social_media" else "Social media"
            for c in r.blocked_channels
        ]
        return "Blocked: " + ", ".join(labels).lower()
    if r.kind == "advocate_only":
        return f"Contact only through their advocate, {r.advocate_name} ({r.advocate_contact})"
    if r.kind == "spoc":
        return f"Single point of contact: {names.get(r.spoc_staff_id or 0, 'a member of staff')}"
    return r.kind


def restrictions(strategy: ContactStrategy, names: dict[int, str]) -> list[str]:
    return [describe_restriction(r, names) for r in strategy.restrictions]


def routes_left(strategy: ContactStrategy) -> list[str]:
    """The contact methods the strategy leaves open, by name, in the policy's order."""
    routes = routes_of(strategy.restrictions)
    return [m.label for m in cat.CONTACT_METHODS if m.id in routes]


def summary(strategy: ContactStrategy, names: dict[int, str]) -> dict[str, Any]:
    """A strategy as /case shows it to staff, who must keep to it too (s7.1)."""
    spoc = spoc_id(strategy)
    return {
        "id": strategy.id,
        "status": strategy.status,
        "restrictions": restrictions(strategy, names),
        "spoc": names.get(spoc) if spoc else None,
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "routes": routes_left(strategy),
    }


def letter_channel(strategy: ContactStrategy) -> str:
    return cat.label(cat.CONTACT_METHODS, strategy.letter_channel or "letter").lower()


def in_force_summary(strategy: ContactStrategy, names: dict[int, str]) -> dict[str, Any]:
    """What the people who deal with the person are told when a strategy comes into force."""
    return {
        "restrictions": restrictions(strategy, names),
        "review_date": f"{strategy.review_date:%d %b %Y}",
    }
