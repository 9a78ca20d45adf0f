"""What a person's copy of their data leaves out: the names of staff (s9, Appendix A).

Pure functions, no I/O. The copy must not adversely affect the rights of others (UK GDPR
Art. 15(4); DPA 2018 Sch. 2 para. 16), and staff who meet unacceptable behaviour are
the people this policy protects (s2, Appendix A: "protecting privacy"). Each member of
staff is shown by their role ("manager", "authoriser"), both in the fields that name who
did something and wherever their name or email address appears in free text. Only full
names and addresses can be found this way, so the office still reads the export before
it is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from dialogs.case.record import STAFF_FIELDS
from dialogs.policy_map import carries
from storage.models import Person, StaffMember

# "..._by" keys that are not people: a letter's `send_by` is how it is sent.
NOT_STAFF = frozenset({"send_by"})

# The most senior role a member of staff holds names them; the policy's own titles.
ROLE_LABELS: tuple[tuple[str, str], ...] = (
    ("chief_executive", "Chief Executive"),
    ("authoriser", "authoriser"),
    ("manager", "manager"),
    ("admin", "administrator"),
    ("staff", "member of staff"),
)
FORMER = "former member of staff"
GENERIC = "member of staff"

# The case file's sections in the order a reader meets them, with the policy section each
# rests on; `records` in the export counts the entries of each.
SECTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("incidents", "Incidents reported by staff", "Incident", "s3, s4, s6"),
    ("warnings", "Warnings", "Warning", "s6"),
    ("police_referrals", "Police referrals", "Police referral", "s6"),
    ("contact_strategies", "Contact strategies and their restrictions", "Strategy", "s7"),
    ("authorisations", "Decisions by an authoriser, with reasons", "Decision", "s7, s7.1"),
    ("reviews", "Reviews of contact strategies", "Review", "s7.1"),
    ("breaches", "Breaches of a contact strategy", "Breach", "s7.1"),
    ("contact_logs", "Contacts received and what each raised", "Contact", "s7.2, s9"),
    ("matters", "New matters they raised, and how each was dealt with", "Matter", "s7.2"),
    ("further_actions", "Further action, such as seeking legal advice", "Action", "s7.2"),
    ("disputes", "Disputes to the Chief Executive", "Dispute", "s7.3"),
    ("sharing_requests", "Sharing with partner agencies, and disclosures", "Request", "s7.1"),
    ("letters", "Letters to you, and when each was sent", "Letter", "s6, s7"),
)


def role_label(member: StaffMember) -> str:
    roles = member.role_names
    return next((label for role, label in ROLE_LABELS if role in roles), FORMER)


@dataclass(frozen=True)
class Export:
    reference: str
    data: dict[str, Any]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Gathered:
    """The case file as read, before anyone's name is taken out."""

    person: Person
    record: dict[str, Any]
    staff: list[StaffMember]

    @property
    def total(self) -> int:
        return sum(len(self.record[key]) for key, *_ in SECTIONS)


def labels_by_name(staff: list[StaffMember]) -> dict[str, str]:
    """Each name's role label; a name two people with different roles share is generic."""
    labels: dict[str, set[str]] = {}
    for member in staff:
        labels.setdefault(member.name, set()).add(role_label(member))
    return {
        name: next(iter(found)) if len(found) == 1 else GENERIC for name, found in labels.items()
    }


def scrubber(staff: list[StaffMember], by_name: dict[str, str]) -> Callable[[str], str]:
    """Free text with staff names and email addresses replaced by "[role]".

    Longest first, so "Jo Reed-Smith" wins over "Jo Reed"; whole words only, any case.
    """
    needles: dict[str, str] = {}
    for member in staff:
        for text in (member.name, member.email):
            if len(text.strip()) >= 3:
                needles[text.strip().lower()] = by_name.get(member.name, GENERIC)
    if not needles:
        return lambda text: text
    pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    return lambda text: pattern.sub(lambda m: f"[{needles[m.group(0).lower()]}]", text)


def relabel(value: Any, by_name: dict[str, str], scrub: Callable[[str], str]) -> Any:
    """A case file entry with staff shown by role, in its staff fields and its text."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.endswith("_by") and k not in STAFF_FIELDS | NOT_STAFF:
                raise ValueError(f"case file field {k!r} may name staff; add it to STAFF_FIELDS")
            if k in STAFF_FIELDS:
                out[k] = None if v is None else by_name.get(v, GENERIC)
            else:
                out[k] = relabel(v, by_name, scrub)
        return out
    if isinstance(value, list):
        return [relabel(v, by_name, scrub) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def redact(
    gathered: Gathered,
    *,
    generated: datetime,
    zone: tzinfo,
    on_record: Callable[[], None] = lambda: None,
) -> Export:
    """The export: staff shown by role, in fields and in free text.

    `on_record` is called once per record, so the command line can show progress.
    """
    by_name = labels_by_name(gathered.staff)
    scrub = scrubber(gathered.staff, by_name)
    record = gathered.record
    counts: dict[str, int] = {}
    data: dict[str, Any] = {
        "export": {
            "reference": gathered.person.reference,
            "generated": generated.astimezone(zone).isoformat(timespec="minutes"),
            # The same moment as the person reads a date (the page says "as at" this).
            "generated_words": f"{generated.astimezone(zone):%-d %B %Y at %H:%M}",
            "time_zone": record["time_zone"],
            "staff_shown_as": "roles, not names",
        },
        "person": relabel(record["person"], by_name, scrub),
    }
    for key, *_ in SECTIONS:
        entries = []
        for entry in record[key]:
            entries.append(relabel(entry, by_name, scrub))
            on_record()
        data[key] = entries
        counts[key] = len(entries)
    data["export"]["records"] = counts
    return Export(gathered.person.reference, data, counts)


POLICY = (
    carries(
        "A",
        "Staff privacy (Appendix A): a person's copy of their data names staff only by role, "
        "in every field and in free text.",
        "tests/integration/test_records_export.py::test_export_html_escapes_text_and_shows_roles_not_names",
        "tests/unit/test_case_record.py::test_free_text_loses_names_and_addresses_whole_words_longest_first",
        "tests/unit/test_case_record.py::test_relabelling_replaces_staff_fields_and_refuses_unknown_ones",
    ),
)
