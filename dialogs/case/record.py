"""The case file's shape: the rows held on a case as plain, JSON-ready data (s7, s9).

Pure functions, no I/O: `storage.case_file.held_on` reads the rows and
`dialogs.case.file.full_record` hands them here. The keys are a contract:
`safecontact case show --json` prints them, and the subject access export relabels
every key in `STAFF_FIELDS` by role.

Each kind of row lists its keys in order; "key=column" where the key is not the
column's own name. How a value is written follows from its key and its type: a key in
`STAFF_FIELDS` names a member of staff (by name; their roles are not part of the case),
a moment is shown in the office's zone, a day as YYYY-MM-DD, and lists and mappings
are copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any

from storage.case_file import Held
from storage.models import Person

Entry = dict[str, Any]

# Every key of the record that names a member of staff. The export refuses any other
# "..._by" key rather than let a name through, so a new one must be added here.
STAFF_FIELDS = frozenset(
    {
        "reported_by",
        "acknowledged_by",
        "police_not_referred_by",
        "recorded_by",
        "closed_by",
        "proposed_by",
        "single_point_of_contact",
        "requested_by",
        "decided_by",
        "reviewed_by",
        "logged_by",
        "created_by",
        "disclosed_by",
        "sent_by",
    }
)

# The person's fields, then each section's, in the order a reader meets them.
PERSON = (
    "reference name additional_needs reasonable_adjustments unusable_methods "
    "needs_history advocate_name "
    "advocate_contact created=created_at last_activity=last_activity_at "
    "anonymised=anonymised_at"
)
SECTIONS: dict[str, str] = {
    "incidents": "id occurred=occurred_at reported_by=reporter_id channel behaviours "
    "other_behaviour what_happened impact actions_taken violence police_report_required "
    "known_needs "
    "self_check acknowledged_by=acknowledged_by_id acknowledged=acknowledged_at "
    "police_not_referred_reason police_not_referred_by=police_not_referred_by_id "
    "police_not_referred=police_not_referred_at recorded=created_at",
    "warnings": "id kind given_on behaviour_to_change incident_id "
    "recorded_by=recorded_by_id recorded=created_at",
    "police_referrals": "id referred_on police_reference incident_id "
    "recorded_by=recorded_by_id recorded=created_at",
    "contact_strategies": "id status proposed_by=proposer_id reasons incident_ids "
    "warning_given no_warning_reason shortcomings_addressed adjustments_considered "
    "criteria review_date "
    "letter_channel large_print unusable_methods revision_of_id supersedes_id "
    "activated=activated_at ended=ended_at created=created_at",
    "authorisations": "id kind strategy_id sharing_request_id status "
    "requested_by=requested_by_id decided_by=decided_by_id decided=decided_at "
    "decision_reason requested=created_at",
    "breaches": "id strategy_id restriction_id occurred=occurred_at channel description "
    "recorded_by=recorded_by_id recorded=created_at",
    "reviews": "id strategy_id outcome reasons new_review_date new_strategy_id "
    "reviewed_by=reviewed_by_id reviewed=created_at",
    "disputes": "id strategy_id received_on grounds recorded_by=recorded_by_id "
    "decided_by=decider_id outcome outcome_reasons decided=decided_at",
    "contact_logs": "id occurred=occurred_at channel strategy_id summary new_information "
    "new_complaint criminal safeguarding information_request "
    "read_no_action_under_warning=read_no_action_warning_id logged_by=logged_by_id",
    "matters": "id raised=raised_at summary contact_log_id incident_id recorded_by=recorded_by_id "
    "closed=closed_at closed_by=closed_by_id outcome",
    "further_actions": "id kind taken_on details recorded_by=recorded_by_id recorded=created_at",
    "sharing_requests": "id agency what strategy_id reason_kind reason_detail consent "
    "requested_by=requested_by_id requested=created_at",
    # Each letter with its sending record (issue 14; dialogs.letters.record_sent wrote it):
    # when, how and who recorded it, which is when the person was told (s7).
    "letters": "id subject kind send_by created_by=created_by_id created=created_at "
    "sent_on sent_method sent_by=sent_by_id sent_recorded=sent_recorded_at",
}
# Rows the file lists inside another's entry: a strategy's restrictions, a sharing
# request's disclosures.
NESTED: dict[str, str] = {
    "restrictions": "kind call_minutes contact_method email_address blocked_channels "
    "advocate_name advocate_contact single_point_of_contact=spoc_staff_id",
    "disclosures": "disclosed_by=disclosed_by_id disclosed=disclosed_at note",
}
FIELDS = {"person": PERSON, **SECTIONS, **NESTED}


@cache
def columns(kind: str) -> tuple[tuple[str, str], ...]:
    """A kind's (key, column) pairs, in the record's order."""
    return tuple(
        (key, column or key)
        for key, _, column in (field.partition("=") for field in FIELDS[kind].split())
    )


@dataclass(frozen=True)
class Show:
    """How the record writes a value: staff by name, moments in the office's zone."""

    names: dict[int, str]
    zone: tzinfo

    def value(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        if key in STAFF_FIELDS:
            return self.names.get(value, f"staff #{value}")
        if isinstance(value, datetime):
            return value.astimezone(self.zone).isoformat(timespec="minutes")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return list(value)
        if isinstance(value, dict):
            return dict(value)
        return value

    def entry(self, kind: str, row: Any) -> Entry:
        return {key: self.value(key, getattr(row, column)) for key, column in columns(kind)}


def _staff_of(kind: str, rows: Iterable[Any]) -> set[int]:
    named = [column for key, column in columns(kind) if key in STAFF_FIELDS]
    return {getattr(row, column) for row in rows for column in named} - {None}


def staff_ids(held: Held) -> set[int]:
    """Every member of staff the record names, so their names are read in one query."""
    restrictions = [r for s in held["contact_strategies"] for r in s.restrictions]
    ids = _staff_of("restrictions", restrictions)
    for kind, rows in held.items():
        ids |= _staff_of(kind, rows)
    return ids


def shape(person: Person, held: Held, show: Show) -> dict[str, Any]:
    """The whole case as plain data, every section present even when it is empty."""
    disclosed: dict[int, list[Entry]] = {}
    for d in held["disclosures"]:
        disclosed.setdefault(d.sharing_request_id, []).append(show.entry("disclosures", d))
    record: dict[str, Any] = {"time_zone": str(show.zone), "person": show.entry("person", person)}
    for kind in SECTIONS:
        record[kind] = [show.entry(kind, row) for row in held[kind]]
    strategies = zip(held["contact_strategies"], record["contact_strategies"], strict=True)
    for strategy, entry in strategies:
        restrictions = sorted(strategy.restrictions, key=lambda r: r.id)
        entry["restrictions"] = [show.entry("restrictions", r) for r in restrictions]
    requests = zip(held["sharing_requests"], record["sharing_requests"], strict=True)
    for request, entry in requests:
        entry["disclosures"] = disclosed.get(request.id, [])
    return record
