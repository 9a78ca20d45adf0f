"""The case file as plain text: what `safecontact case show` prints, for reading or filing.

A view of the record `dialogs.case.file.full_record` builds; pure, no I/O.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}")


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
    ("New matters (s7.2)", "matters", "Matter #{id} raised {raised}"),
    ("Further action (s7.2)", "further_actions", "Action #{id} on {taken_on}: {kind}"),
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
            if key == "letters" and entry.get("sent_on") is None:
                lines.append("    not recorded as sent")
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
