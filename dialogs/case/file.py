"""The case file: everything held on a member of the public, read-only.

This is what a manager reads before deciding on a strategy (s7: "the decision to restrict
contact must be recorded in the case file"), and what the office would disclose on a
subject access request (s9, Data Protection Act 2018), so it must be complete. Welfare
check-ins are deliberately absent: they belong to the member of staff, not to the case
(Appendix A), and must never reach someone reading about the member of the public.

Staff appear by name only; their roles are not part of the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from string import Formatter
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.policy_map import carries
from storage.models import (
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    Incident,
    Letter,
    Person,
    PoliceReferral,
    Review,
    SharingRequest,
    StaffMember,
    Warning,
)

_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}")


async def full_record(session: AsyncSession, *, person: Person, zone: tzinfo) -> dict[str, Any]:
    """The whole case as plain data (JSON-ready), with every time shown in the office's zone."""
    pid = person.id

    async def rows(stmt: Any) -> list[Any]:
        return list((await session.execute(stmt)).scalars())

    incidents = await rows(
        select(Incident).where(Incident.person_id == pid).order_by(Incident.occurred_at)
    )
    warnings = await rows(
        select(Warning).where(Warning.person_id == pid).order_by(Warning.given_on, Warning.id)
    )
    referrals = await rows(
        select(PoliceReferral)
        .where(PoliceReferral.person_id == pid)
        .order_by(PoliceReferral.referred_on, PoliceReferral.id)
    )
    strategies = await rows(
        select(ContactStrategy)
        .where(ContactStrategy.person_id == pid)
        .order_by(ContactStrategy.created_at, ContactStrategy.id)
    )
    strategy_ids = [s.id for s in strategies]
    sharing = await rows(
        select(SharingRequest)
        .where(SharingRequest.person_id == pid)
        .order_by(SharingRequest.created_at, SharingRequest.id)
    )
    sharing_ids = [s.id for s in sharing]
    disclosures = await rows(
        select(Disclosure)
        .where(Disclosure.sharing_request_id.in_(sharing_ids))
        .order_by(Disclosure.disclosed_at, Disclosure.id)
    )
    authorisations = await rows(
        select(Authorisation)
        .where(
            or_(
                Authorisation.strategy_id.in_(strategy_ids),
                Authorisation.sharing_request_id.in_(sharing_ids),
            )
        )
        .order_by(Authorisation.created_at, Authorisation.id)
    )
    breaches = await rows(
        select(Breach)
        .where(Breach.strategy_id.in_(strategy_ids))
        .order_by(Breach.occurred_at, Breach.id)
    )
    reviews = await rows(
        select(Review)
        .where(Review.strategy_id.in_(strategy_ids))
        .order_by(Review.created_at, Review.id)
    )
    disputes = await rows(
        select(Dispute)
        .where(Dispute.strategy_id.in_(strategy_ids))
        .order_by(Dispute.received_on, Dispute.id)
    )
    contacts = await rows(
        select(ContactLog)
        .where(ContactLog.person_id == pid)
        .order_by(ContactLog.occurred_at, ContactLog.id)
    )
    letters = await rows(
        select(Letter).where(Letter.person_id == pid).order_by(Letter.created_at, Letter.id)
    )

    staff_ids: set[int | None] = set()
    for inc in incidents:
        staff_ids |= {inc.reporter_id, inc.acknowledged_by_id}
    for strategy in strategies:
        staff_ids.add(strategy.proposer_id)
        staff_ids |= {r.spoc_staff_id for r in strategy.restrictions}
    staff_ids |= {w.recorded_by_id for w in warnings}
    staff_ids |= {r.recorded_by_id for r in referrals}
    staff_ids |= {s.requested_by_id for s in sharing}
    staff_ids |= {d.disclosed_by_id for d in disclosures}
    for a in authorisations:
        staff_ids |= {a.requested_by_id, a.decided_by_id}
    staff_ids |= {b.recorded_by_id for b in breaches}
    staff_ids |= {r.reviewed_by_id for r in reviews}
    for d in disputes:
        staff_ids |= {d.recorded_by_id, d.decider_id}
    staff_ids |= {c.logged_by_id for c in contacts}
    staff_ids |= {letter.created_by_id for letter in letters}
    names = await _staff_names(session, staff_ids)

    def who(staff_id: int | None) -> str | None:
        return None if staff_id is None else names.get(staff_id, f"staff #{staff_id}")

    def when(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(zone).isoformat(timespec="minutes")

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    disclosures_by_request: dict[int, list[dict[str, Any]]] = {}
    for d in disclosures:
        disclosures_by_request.setdefault(d.sharing_request_id, []).append(
            {
                "disclosed_by": who(d.disclosed_by_id),
                "disclosed": when(d.disclosed_at),
                "note": d.note,
            }
        )

    return {
        "time_zone": str(zone),
        "person": {
            "reference": person.reference,
            "name": person.name,
            "additional_needs": person.additional_needs,
            "reasonable_adjustments": person.reasonable_adjustments,
            "advocate_name": person.advocate_name,
            "advocate_contact": person.advocate_contact,
            "created": when(person.created_at),
            "last_activity": when(person.last_activity_at),
            "anonymised": when(person.anonymised_at),
        },
        "incidents": [
            {
                "id": i.id,
                "occurred": when(i.occurred_at),
                "reported_by": who(i.reporter_id),
                "channel": i.channel,
                "behaviours": list(i.behaviours),
                "what_happened": i.what_happened,
                "impact": i.impact,
                "actions_taken": list(i.actions_taken),
                "violence": i.violence,
                "police_report_required": i.police_report_required,
                "known_needs": i.known_needs,
                "self_check": dict(i.self_check),
                "acknowledged_by": who(i.acknowledged_by_id),
                "acknowledged": when(i.acknowledged_at),
                "recorded": when(i.created_at),
            }
            for i in incidents
        ],
        "warnings": [
            {
                "id": w.id,
                "kind": w.kind,
                "given_on": day(w.given_on),
                "behaviour_to_change": w.behaviour_to_change,
                "incident_id": w.incident_id,
                "recorded_by": who(w.recorded_by_id),
                "recorded": when(w.created_at),
            }
            for w in warnings
        ],
        "police_referrals": [
            {
                "id": r.id,
                "referred_on": day(r.referred_on),
                "police_reference": r.police_reference,
                "incident_id": r.incident_id,
                "recorded_by": who(r.recorded_by_id),
                "recorded": when(r.created_at),
            }
            for r in referrals
        ],
        "contact_strategies": [
            {
                "id": s.id,
                "status": s.status,
                "proposed_by": who(s.proposer_id),
                "reasons": s.reasons,
                "incident_ids": list(s.incident_ids),
                "warning_given": s.warning_given,
                "no_warning_reason": s.no_warning_reason,
                "adjustments_considered": s.adjustments_considered,
                "criteria": dict(s.criteria),
                "review_date": day(s.review_date),
                "letter_channel": s.letter_channel,
                "large_print": s.large_print,
                "unusable_methods": list(s.unusable_methods),
                "revision_of_id": s.revision_of_id,
                "supersedes_id": s.supersedes_id,
                "activated": when(s.activated_at),
                "ended": when(s.ended_at),
                "created": when(s.created_at),
                "restrictions": [
                    {
                        "kind": r.kind,
                        "call_minutes": r.call_minutes,
                        "contact_method": r.contact_method,
                        "email_address": r.email_address,
                        "blocked_channels": list(r.blocked_channels),
                        "advocate_name": r.advocate_name,
                        "advocate_contact": r.advocate_contact,
                        "single_point_of_contact": who(r.spoc_staff_id),
                    }
                    for r in sorted(s.restrictions, key=lambda r: r.id)
                ],
            }
            for s in strategies
        ],
        "authorisations": [
            {
                "id": a.id,
                "kind": a.kind,
                "strategy_id": a.strategy_id,
                "sharing_request_id": a.sharing_request_id,
                "status": a.status,
                "requested_by": who(a.requested_by_id),
                "decided_by": who(a.decided_by_id),
                "decided": when(a.decided_at),
                "decision_reason": a.decision_reason,
                "requested": when(a.created_at),
            }
            for a in authorisations
        ],
        "breaches": [
            {
                "id": b.id,
                "strategy_id": b.strategy_id,
                "restriction_id": b.restriction_id,
                "occurred": when(b.occurred_at),
                "channel": b.channel,
                "description": b.description,
                "recorded_by": who(b.recorded_by_id),
                "recorded": when(b.created_at),
            }
            for b in breaches
        ],
        "reviews": [
            {
                "id": r.id,
                "strategy_id": r.strategy_id,
                "outcome": r.outcome,
                "reasons": r.reasons,
                "new_review_date": day(r.new_review_date),
                "new_strategy_id": r.new_strategy_id,
                "reviewed_by": who(r.reviewed_by_id),
                "reviewed": when(r.created_at),
            }
            for r in reviews
        ],
        "disputes": [
            {
                "id": d.id,
                "strategy_id": d.strategy_id,
                "received_on": day(d.received_on),
                "grounds": d.grounds,
                "recorded_by": who(d.recorded_by_id),
                "decided_by": who(d.decider_id),
                "outcome": d.outcome,
                "outcome_reasons": d.outcome_reasons,
                "decided": when(d.decided_at),
            }
            for d in disputes
        ],
        "contact_logs": [
            {
                "id": c.id,
                "occurred": when(c.occurred_at),
                "channel": c.channel,
                "strategy_id": c.strategy_id,
                "summary": c.summary,
                "new_information": c.new_information,
                "new_complaint": c.new_complaint,
                "criminal": c.criminal,
                "safeguarding": c.safeguarding,
                "logged_by": who(c.logged_by_id),
            }
            for c in contacts
        ],
        "sharing_requests": [
            {
                "id": s.id,
                "agency": s.agency,
                "what": s.what,
                "strategy_id": s.strategy_id,
                "reason_kind": s.reason_kind,
                "reason_detail": s.reason_detail,
                "consent": s.consent,
                "requested_by": who(s.requested_by_id),
                "requested": when(s.created_at),
                "disclosures": disclosures_by_request.get(s.id, []),
            }
            for s in sharing
        ],
        "letters": [
            {
                "id": letter.id,
                "subject": letter.subject,
                "kind": letter.kind,
                "send_by": letter.send_by,
                "created_by": who(letter.created_by_id),
                "created": when(letter.created_at),
            }
            for letter in letters
        ],
    }


async def _staff_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(wanted))
    )
    return {staff_id: name for staff_id, name in rows.all()}


# Each section of the text rendering: its heading, the record's key, and the line that
# introduces one entry; the entry's remaining fields follow as "label: value" lines.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("Incidents", "incidents", "Incident #{id} on {occurred}"),
    ("Warnings (s6)", "warnings", "Warning #{id}, {kind}, given on {given_on}"),
    ("Police referrals (s6)", "police_referrals", "Referral #{id} on {referred_on}"),
    ("Contact strategies (s7)", "contact_strategies", "Strategy #{id} ({status})"),
    ("Authorisations (s7, s7.1)", "authorisations", "Authorisation #{id}: {kind}, {status}"),
    ("Breaches (s7.1)", "breaches", "Breach #{id} of strategy #{strategy_id} on {occurred}"),
    ("Reviews (s7.1)", "reviews", "Review #{id} of strategy #{strategy_id}: {outcome}"),
    ("Disputes (s7.3)", "disputes", "Dispute #{id} of strategy #{strategy_id}"),
    ("Contact log (s7.2)", "contact_logs", "Contact #{id} on {occurred} by {channel}"),
    ("Sharing with partner agencies (s7.1)", "sharing_requests", "Request #{id} to {agency}"),
    ("Letters", "letters", "Letter #{id}: {subject}"),
)


def as_text(record: dict[str, Any]) -> str:
    """A plain-text case file a manager can read top to bottom or print for a file."""
    person = record["person"]
    lines = [f"Case {person['reference']}: {person['name']}"]
    lines.append(f"(times in {record['time_zone']})")
    lines += _fields(person, skip={"reference", "name"}, indent="  ")
    for heading, key, intro in _SECTIONS:
        entries = record[key]
        lines += ["", f"{heading} ({len(entries)})"]
        if not entries:
            lines.append("  none")
        for entry in entries:
            lines.append("  " + intro.format_map({k: _show(v) for k, v in entry.items()}))
            lines += _fields(entry, skip=set(_placeholders(intro)) | {"id"}, indent="    ")
    return "\n".join(lines)


def _fields(entry: dict[str, Any], *, skip: set[str], indent: str) -> list[str]:
    out = []
    for key, value in entry.items():
        if key in skip or value is None or value == "" or value == [] or value == {}:
            continue
        label = key.replace("_", " ")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{indent}{label}:")
            for item in value:
                parts = [f"{k.replace('_', ' ')}: {_show(v)}" for k, v in item.items()]
                parts = [p for p, v in zip(parts, item.values(), strict=True) if _present(v)]
                out.append(f"{indent}  - " + "; ".join(parts))
        elif isinstance(value, dict):
            out.append(f"{indent}{label}:")
            out += [f"{indent}  {k.replace('_', ' ')}: {_show(v)}" for k, v in value.items()]
        else:
            text = _show(value)
            if "\n" in text:
                out.append(f"{indent}{label}:")
                out += [f"{indent}  {line}" for line in text.splitlines()]
            else:
                out.append(f"{indent}{label}: {text}")
    return out


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "-"
    text = str(value)
    if _LOCAL_TIME.fullmatch(text):
        # The heading names the zone, so the offset would only be noise on paper.
        return f"{text[:10]} {text[11:16]}"
    return text


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


POLICY = (
    carries(
        "7",
        "The decision to restrict contact and its reasons are in the case file "
        "(`safecontact case show`).",
        "tests/test_case_show.py::test_case_show_prints_everything_held_on_the_person",
    ),
    carries(
        "9",
        "The case file holds everything on a person and no staff welfare data.",
        "tests/test_case_show.py::test_case_show_prints_everything_held_on_the_person",
        "tests/test_case_show.py::test_case_show_json_is_the_same_record",
    ),
)
