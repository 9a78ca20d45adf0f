"""The bundled demo office: a fictional staff directory for trying safecontact out.

Used where `serve` serves the web chat and there is no configuration file and no
directory, so it can never mix with a real office's people. `office` is that decision,
and every command reads its settings through it: a command run beside a demo server
must see the demo directory, or its directory sync would remove the demo's people.
Every address is at `demo.example` (a reserved, unroutable domain), every Teams id is a
made-up GUID of zeros, and the office's name says it is fictional.

The demo office is open around the clock, every day: reminders are otherwise held for
office hours, and a trainer running a session at 8pm should still see them arrive.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.settings import Settings
from dialogs.office import OtherBody

DOMAIN = "demo.example"
ORGANISATION_NAME = "Demo Office of the Police and Crime Commissioner (fictional)"
# Ofcom's drama number range and a made-up street: nothing real is written to.
DEMO_ADDRESS = "1 Example Street\nDemotown\nDE1 0AA"


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


# s7: on what authority each demo authoriser decides (fictional, like everything here).
_AUTHORITY: dict[str, dict[str, Any]] = {
    "alex.moreno": {"head_of_business_services": True},
    "bea.okafor": {"nominated_by": f"casey.lin@{DOMAIN}", "nominated_on": "2026-01-12"},
}


def directory() -> list[dict[str, Any]]:
    """The demo directory as `[[staff]]` tables would give it."""
    return [
        {
            "name": name,
            "email": f"{local}@{DOMAIN}",
            "roles": roles,
            "manager": f"{manager}@{DOMAIN}" if manager else None,
            "teams_user_id": _teams_id(n),
            **_AUTHORITY.get(local, {}),
        }
        for n, (name, local, roles, manager, _) in enumerate(_PEOPLE, start=1)
    ]


def applies(settings: Settings) -> bool:
    """No configuration file and no directory: nothing real to mix the demo with."""
    return settings.config_path is None and not settings.staff


def is_demo(settings: Settings) -> bool:
    return bool(settings.staff) and all(e.email.endswith(f"@{DOMAIN}") for e in settings.staff)


def in_use(settings: Settings) -> bool:
    """These settings are the demo office `office` made, not a file's directory."""
    return settings.config_path is None and is_demo(settings)


def office(settings: Settings, *, dev: bool = False) -> Settings:
    """The settings every command runs with: the demo office wherever `serve` uses it.

    `serve` uses it when it serves the local web chat (no Slack or Teams credentials, or
    `--dev`) and nothing real is configured. `cli.main` calls this for every command, so
    `staff list` or `jobs run-due` beside a demo server reads the directory the server
    reads; `dev` is only ever true for `serve --dev`.
    """
    from bot.webchat import wanted

    if wanted(settings, dev=dev) and applies(settings):
        return with_demo_office(settings)
    return settings


def with_demo_office(settings: Settings) -> Settings:
    """`settings` with the demo directory, office name and round-the-clock office hours."""
    # A fictional letterhead, so the demo's letters read as an office's would.
    organisation = settings.organisation.model_copy(
        update={
            "name": ORGANISATION_NAME,
            "address": settings.organisation.address or DEMO_ADDRESS,
            "phone": settings.organisation.phone or "01632 960000",
            "email": settings.organisation.email or "enquiries@demo-opcc.example.org",
            # s1: somewhere to point a matter the office does not handle (fictional).
            "other_bodies": settings.organisation.other_bodies
            or [
                OtherBody(
                    name="Demo Police Professional Standards Department (fictional)",
                    handles="complaints about police officers and staff",
                    contact="Write to Professional Standards, PO Box 0, Demotown DT0 0AA.",
                )
            ],
        }
    )
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
