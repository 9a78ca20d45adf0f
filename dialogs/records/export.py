"""Subject access export: everything held about a member of the public, for them (s9).

The Data Protection Act 2018 gives a person a copy of their personal data (UK GDPR
Art. 15). The content is the case file (`dialogs.case.file.full_record`, the same record
`safecontact case show` prints), plus the text of every letter sent, with two things
taken out:

- Staff welfare data never appears: check-ins belong to the member of staff, not to the
  case (Appendix A), and `full_record` never reads them.
- Other people's names do not appear. The copy must not adversely affect the rights of
  others (Art. 15(4); DPA 2018 Sch. 2 para. 16), and staff who meet unacceptable
  behaviour are the people this policy protects (s2, Appendix A: "protecting privacy").
  Each member of staff is shown by their role ("manager", "authoriser"), both in the
  fields that name who did something and wherever their name or email address appears
  in free text. Only full names and addresses can be found this way, so the office still
  reads the export before it is sent.

Exporting is itself recorded in the audit trail, with the case reference only.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import catalogue as cat
from dialogs.case import file as case_file
from dialogs.policy_map import carries
from storage import audit
from storage import subject_access as sar_repo
from storage.models import Letter, Person, StaffMember

# Exports with at least this many records show a progress bar on the command line.
LARGE_EXPORT = 200

# Every key of the case file that names a member of staff. A new one in case_file must be
# added here: `_relabel` refuses an unknown "..._by" key rather than let a name through.
STAFF_FIELDS = frozenset(
    {
        "reported_by",
        "acknowledged_by",
        "recorded_by",
        "proposed_by",
        "single_point_of_contact",
        "requested_by",
        "decided_by",
        "reviewed_by",
        "logged_by",
        "created_by",
        "disclosed_by",
    }
)

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
    ("contact_logs", "Contacts received while a strategy was in force", "Contact", "s7.2"),
    ("disputes", "Disputes to the Chief Executive", "Dispute", "s7.3"),
    ("sharing_requests", "Sharing with partner agencies, and disclosures", "Request", "s7.1"),
    ("letters", "Letters sent to you", "Letter", "s6, s7"),
)


def sections() -> list[dict[str, str]]:
    """The sections as the HTML page lists them."""
    return [
        {"key": key, "title": title, "singular": singular, "policy": policy}
        for key, title, singular, policy in SECTIONS
    ]


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


async def gather(session: AsyncSession, *, person: Person, zone: tzinfo) -> Gathered:
    """Read the case file and the letters' text in the caller's transaction."""
    record = await case_file.full_record(session, person=person, zone=zone)
    texts = dict(
        (
            await session.execute(
                select(Letter.id, Letter.text).where(Letter.person_id == person.id)
            )
        ).all()
    )
    for letter in record["letters"]:
        letter["text"] = texts.get(letter["id"], "")
    staff = list((await session.execute(select(StaffMember))).scalars())
    return Gathered(person, record, staff)


def redact(
    gathered: Gathered,
    *,
    generated: datetime,
    zone: tzinfo,
    on_record: Callable[[], None] = lambda: None,
) -> Export:
    """The export: staff shown by role, in fields and in free text. Pure; no I/O.

    `on_record` is called once per record, so the command line can show progress.
    """
    labels: dict[str, set[str]] = {}
    for member in gathered.staff:
        labels.setdefault(member.name, set()).add(role_label(member))
    by_name = {
        name: next(iter(found)) if len(found) == 1 else GENERIC for name, found in labels.items()
    }
    # Free text: full names and email addresses, longest first so "Jo Reed-Smith" wins
    # over "Jo Reed"; whole words only, any case.
    needles: dict[str, str] = {}
    for member in gathered.staff:
        for text in (member.name, member.email):
            if len(text.strip()) >= 3:
                needles[text.strip().lower()] = by_name.get(member.name, GENERIC)
    pattern = (
        re.compile(
            r"(?<!\w)("
            + "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))
            + r")(?!\w)",
            re.IGNORECASE,
        )
        if needles
        else None
    )

    def scrub(text: str) -> str:
        if pattern is None:
            return text
        return pattern.sub(lambda m: f"[{needles[m.group(0).lower()]}]", text)

    def relabel(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k.endswith("_by") and k not in STAFF_FIELDS | NOT_STAFF:
                    raise ValueError(
                        f"case file field {k!r} may name staff; add it to STAFF_FIELDS"
                    )
                if k in STAFF_FIELDS:
                    out[k] = None if v is None else by_name.get(v, GENERIC)
                else:
                    out[k] = relabel(v, k)
            return out
        if isinstance(value, list):
            return [relabel(v, key) for v in value]
        if isinstance(value, str):
            return scrub(value)
        return value

    record = gathered.record
    counts: dict[str, int] = {}
    data: dict[str, Any] = {
        "export": {
            "reference": gathered.person.reference,
            "generated": generated.astimezone(zone).isoformat(timespec="minutes"),
            "time_zone": record["time_zone"],
            "staff_shown_as": "roles, not names",
        },
        "person": relabel(record["person"]),
    }
    for key, *_ in SECTIONS:
        entries = []
        for entry in record[key]:
            entries.append(relabel(entry))
            on_record()
        data[key] = entries
        counts[key] = len(entries)
    data["export"]["records"] = counts
    return Export(gathered.person.reference, data, counts)


def readable(data: dict[str, Any]) -> dict[str, Any]:
    """The export with stored ids put into the policy's words, for the HTML page.

    data.json keeps the ids (what the database holds, and what a machine reads); a person
    reading the page should see "Telephone" and "Abuse, derogatory ... remarks".
    """

    def one(items: tuple[cat.Item, ...], value: Any) -> Any:
        return cat.label(items, value) if isinstance(value, str) else value

    def many(items: tuple[cat.Item, ...], values: list[str]) -> list[str]:
        return [cat.label(items, v) for v in values]

    behaviours = tuple(item for group in cat.BEHAVIOUR_GROUPS for item in group.items)
    out = copy.deepcopy(data)
    for i in out["incidents"]:
        i["channel"] = one(cat.CHANNELS, i["channel"])
        i["behaviours"] = many(behaviours, i["behaviours"])
        i["actions_taken"] = many(cat.ACTIONS_TAKEN, i["actions_taken"])
        i["self_check"] = {
            cat.label(cat.SELF_CHECK, q): one(cat.SELF_CHECK_ANSWERS, a)
            for q, a in i["self_check"].items()
        }
    for w in out["warnings"]:
        w["kind"] = one(cat.WARNING_KINDS, w["kind"])
    for s in out["contact_strategies"]:
        s["criteria"] = {cat.CRITERIA_SHORT.get(k, k): v for k, v in s["criteria"].items()}
        s["letter_channel"] = one(cat.CONTACT_METHODS, s["letter_channel"])
        s["unusable_methods"] = many(cat.CONTACT_METHODS, s["unusable_methods"])
        for r in s["restrictions"]:
            r["kind"] = one(cat.RESTRICTIONS, r["kind"])
            r["contact_method"] = one(cat.CONTACT_METHODS, r["contact_method"])
            r["blocked_channels"] = many(cat.CHANNELS, r["blocked_channels"])
    for key in ("breaches", "contact_logs"):
        for entry in out[key]:
            entry["channel"] = one(cat.CHANNELS, entry["channel"])
    for d in out["disputes"]:
        d["outcome"] = one(cat.DISPUTE_OUTCOMES, d["outcome"])
    for r in out["sharing_requests"]:
        r["reason_kind"] = one(cat.SHARING_REASONS, r["reason_kind"])
    for letter in out["letters"]:
        letter["send_by"] = one(cat.CONTACT_METHODS, letter["send_by"])
    return out


async def record_export(
    session: AsyncSession, *, person: Person, export: Export, actor: str, now: datetime
) -> None:
    """The export is an audit event (s9): who exported which case, and how much."""
    open_request = await sar_repo.open_for(session, person_id=person.id)
    await audit.record(
        session,
        actor=actor,
        action="person.exported",
        entity_type="person",
        entity_id=person.id,
        detail={
            "case": person.reference,
            "records": export.total,
            "subject_access_request": open_request.id if open_request is not None else None,
        },
        at=now,
    )


POLICY = (
    carries(
        "9",
        "Subject access export: everything held about a person as data.json and a readable "
        "index.html, staff shown by role, no welfare data, the export audited "
        "(`safecontact export-person`).",
        "tests/test_records_export.py::test_export_holds_every_kind_of_record_and_no_welfare_data",
        "tests/test_records_export.py::test_export_html_escapes_text_and_shows_roles_not_names",
        "tests/test_records_export.py::test_export_through_the_cli_writes_files_and_an_audit_event",
    ),
    carries(
        "A",
        "Staff privacy (Appendix A): a person's copy of their data names staff only by role, "
        "in every field and in free text.",
        "tests/test_records_export.py::test_export_html_escapes_text_and_shows_roles_not_names",
    ),
)
