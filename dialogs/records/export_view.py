"""The subject access export as a person reads it: the HTML page's sections and words (s9).

Pure functions, no I/O; cards/records.py renders the page from them.
"""

from __future__ import annotations

import copy
from typing import Any

from dialogs import catalogue as cat
from dialogs.records.redact import SECTIONS


def sections() -> list[dict[str, str]]:
    """The sections as the HTML page lists them."""
    return [
        {"key": key, "title": title, "singular": singular, "policy": policy}
        for key, title, singular, policy in SECTIONS
    ]


def readable(data: dict[str, Any]) -> dict[str, Any]:
    """The export with stored ids put into the policy's words, for the HTML page.

    data.json keeps the ids (what the database holds, and what a machine reads); a person
    reading the page should see "Telephone" and "Abuse, derogatory ... remarks".
    """

    def one(items: tuple[cat.Item, ...], value: Any) -> Any:
        return cat.label(items, value) if isinstance(value, str) else value

    def many(items: tuple[cat.Item, ...], values: list[str]) -> list[str]:
        return [cat.label(items, v) for v in values]

    behaviours = tuple(item for group in cat.BEHAVIOUR_GROUPS for item in cat.read_items(group))
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
    for a in out["further_actions"]:
        a["kind"] = one(cat.FURTHER_ACTIONS, a["kind"])
    for d in out["disputes"]:
        d["outcome"] = one(cat.DISPUTE_OUTCOMES, d["outcome"])
    for r in out["sharing_requests"]:
        r["reason_kind"] = one(cat.SHARING_REASONS, r["reason_kind"])
    for letter in out["letters"]:
        letter["send_by"] = one(cat.CONTACT_METHODS, letter["send_by"])
        if letter.get("sent_on") is None:  # issue 14: every letter with its sending record
            letter["sent_on"] = "not recorded as sent"
    return out
