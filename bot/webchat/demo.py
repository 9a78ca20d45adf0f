"""The bundled demo office: a fictional staff directory for trying safecontact out.

Used by `safecontact serve` (when it serves the web chat) and `safecontact demo-data`
only when there is no configuration file and no directory, so it can never mix with a
real office's people. Every address is at `demo.example` (a reserved, unroutable domain),
every Teams id is a made-up GUID of zeros, and the office's name says it is fictional.

The demo office is open around the clock, every day: reminders are otherwise held for
office hours, and a trainer running a session at 8pm should still see them arrive.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.settings import Settings

DOMAIN = "demo.example"
ORGANISATION_NAME = "Demo Office of the Police and Crime Commissioner (fictional)"


def _teams_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


# (name, local part of the email, roles, manager's local part, what a trainer uses them for)
_PEOPLE: list[tuple[str, str, list[str], str | None, str]] = [
    ("Sam Rivers", "sam.rivers", ["staff"], "jo.fielding", "reports incidents"),
    ("Priya Shah", "priya.shah", ["staff"], "jo.fielding", "reports incidents"),
    ("Jo Fielding", "jo.fielding", ["staff", "manager"], "alex.moreno", "Sam's manager"),
    (
        "Alex Moreno",
        "alex.moreno",
        ["manager", "authoriser"],
        None,
        "Head of Business Services and Assurance",
    ),
    ("Bea Okafor", "bea.okafor", ["authoriser"], None, "nominated authoriser"),
    ("Casey Lin", "casey.lin", ["chief_executive"], None, "hears disputes (s7.3)"),
    ("Ada Brooks", "ada.brooks", ["admin"], None, "runs the server"),
]

# What the page says about each demo person, by email.
ROLE_NOTES: dict[str, str] = {f"{local}@{DOMAIN}": note for _, local, _, _, note in _PEOPLE}


def directory() -> list[dict[str, Any]]:
    """The demo directory as `[[staff]]` tables would give it."""
    return [
        {
            "name": name,
            "email": f"{local}@{DOMAIN}",
            "roles": roles,
            "manager": f"{manager}@{DOMAIN}" if manager else None,
            "teams_user_id": _teams_id(n),
        }
        for n, (name, local, roles, manager, _) in enumerate(_PEOPLE, start=1)
    ]


def applies(settings: Settings) -> bool:
    """No configuration file and no directory: nothing real to mix the demo with."""
    return settings.config_path is None and not settings.staff


def is_demo(settings: Settings) -> bool:
    return bool(settings.staff) and all(e.email.endswith(f"@{DOMAIN}") for e in settings.staff)


def with_demo_office(settings: Settings) -> Settings:
    """`settings` with the demo directory, office name and round-the-clock office hours."""
    organisation = settings.organisation.model_copy(update={"name": ORGANISATION_NAME})
    policy = settings.policy.model_copy(
        update={
            "office_hours_start": time(0, 0),
            "office_hours_end": time(23, 59),
            "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        }
    )
    data = settings.model_dump()
    data.update(
        staff=directory(), organisation=organisation.model_dump(), policy=policy.model_dump()
    )
    # Built again, so the demo directory is checked by every rule a real one is.
    return Settings(**data)
