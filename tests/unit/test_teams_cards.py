"""Every Teams template renders a valid Adaptive Card 1.5 from the Slack view models.

Pure tests: no server. The templates take the same models as cards/templates/slack, so
the outbox can hand any message to whichever platform reaches its recipient.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from bot.teams.forms import render_form
from bot.teams.payloads import form_submission
from cards import render as render_module
from cards.forms import Choice, ChoiceGroup, FieldSpec, FormSpec
from cards.render import has_template, render
from dialogs.context import Ctx
from dialogs.incident.form import incident_form
from dialogs.office import Organisation, PolicySettings
from tests.teams_harness import CARD_SCHEMA, inputs, visible

HOSTILE = "<at>All</at> **x** [y](https://e.example) _z_ # h"


@pytest.fixture(scope="module")
def validator() -> Draft6Validator:
    if not CARD_SCHEMA.exists():
        pytest.skip(f"the Adaptive Card schema is not at {CARD_SCHEMA} (../shared absent)")
    return Draft6Validator(json.loads(CARD_SCHEMA.read_text()))


def check(validator: Draft6Validator, card: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(card), key=str)
    assert not errors, [e.message[:300] for e in errors[:3]]


INCIDENT = {
    "incident_id": 7,
    "reference": "SC-2026-00007",
    "person_name": HOSTILE,
    "reporter_name": "Sam Patel",
    "occurred_at": "Tue 24 Nov 2026, 14:05",
    "channel": "Telephone",
    "behaviour_groups": [{"label": "Unacceptable behaviour (s3.1)", "items": ["Abuse"]}],
    "what_happened": HOSTILE,
    "impact": HOSTILE,
    "actions": ["Warned them their behaviour was falling short"],
    "police_required": True,
    "self_check": [{"question": "Q?", "answer": "No", "shortcoming": True}],
    "shortcomings": 1,
    "known_needs": HOSTILE,
    "fallback": True,
    "acknowledged": {"by": HOSTILE, "at": "now"},
    "records": [HOSTILE],
}
SUPPORT = {
    "checkin_id": 3,
    "eap": {
        "name": "EAP",
        "phone": "0800 000",
        "url": "https://eap.example.org",
        "details": HOSTILE,
    },
    "policies": [{"label": "Dignity at Work Policy", "url": "https://intranet.example.org/d"}],
    "privacy_steps": [
        {
            "id": "no_face",
            "label": "Use a profile picture that does not show my face",
            "done": True,
        },
        {"id": "search_self", "label": "Search for my name", "done": False},
    ],
}
NO_STRATEGY = {
    "reference": "SC-1",
    "name": HOSTILE,
    "needs": "",
    "incident_count": 1,
    "last_incident": None,
    "warnings": [HOSTILE],
    "police_referrals": "None recorded; none required",
    "person_id": 1,
    "restrictions": [],
    "recent_breaches": 0,
    "breach_window_days": 30,
    "contact_log": {"total": 0, "entries": []},
    "further_actions": [HOSTILE],
    "may_record_further": True,
    "may_propose": True,
}
DECISION = {"status": "denied", "label": "Denied", "by": HOSTILE, "at": "t", "reason": HOSTILE}
AUTHORISATION = {
    "authorisation_id": 9,
    "kind": "strategy",
    "requested_by": HOSTILE,
    "requested_at": "Tue 24 Nov 2026, 14:05",
    "decision": None,
    "reference": "SC-2026-00007",
    "person_name": HOSTILE,
    "restrictions": ["Phone calls limited to 10 minutes", HOSTILE],
    "routes": ["Letter", "Email"],
    "reasons": HOSTILE,
    "public_summary": HOSTILE,
    "criteria": [{"text": "The matter raised is being considered", "note": HOSTILE}],
    "adjustments": HOSTILE,
    "needs": HOSTILE,
    "unusable": ["Telephone"],
    "warning": HOSTILE,  # the proposer's reason, when not warned first
    "warning_flagged": True,
    "shortcomings": HOSTILE,
    "shortcomings_flagged": True,
    "review_date": "01 Feb 2027",
    "letter": "By letter, in large print",
    "revision": True,
    "history": {
        "incidents": [HOSTILE],
        "warnings": ["Written warning, 01 Nov 2026 (its letter is not recorded as sent)"],
        "strategies": [],
    },
}
SHARING = {
    "authorisation_id": 10,
    "kind": "sharing",
    "requested_by": "Sam Patel",
    "requested_at": "t",
    "decision": None,
    "reference": "SC-2026-00007",
    "person_name": "N",
    "agency": HOSTILE,
    "what": HOSTILE,
    "reason": "Other",
    "explanation": HOSTILE,
    "consent": False,
}
NOTICE = {"reference": "SC-1", "what": "contact strategy", "by": HOSTILE, "reason": ""}
BREACH = {
    "strategy_id": 4,
    "reference": "SC-1",
    "recorded_by": HOSTILE,
    "occurred_at": "t",
    "channel": "Telephone",
    "restriction": HOSTILE,
    "what_happened": HOSTILE,
    "recent": 3,
    "window_days": 30,
    "threshold": 3,
    "threshold_reached": True,
}
DISPUTE = {
    "dispute_id": 3,
    "reference": "SC-1",
    "person_name": HOSTILE,
    "received_on": "01 Dec 2026",
    "grounds": HOSTILE,
    "recorded_by": HOSTILE,
    "restrictions": [HOSTILE],
    "reasons": HOSTILE,
    "proposed_by": HOSTILE,
    "authorised_by": [HOSTILE],
    "decider": "Casey Chief",
    "why": HOSTILE,
    "decision": None,
}
STRATEGY_MODELS: dict[str, list[dict[str, Any]]] = {
    "authorisation_card": [
        AUTHORISATION,
        {**AUTHORISATION, "kind": "change", "revision": False, "decision": DECISION},
        {**AUTHORISATION, "history": {"incidents": [], "warnings": [], "strategies": []}},
        SHARING,
        {**SHARING, "consent": True, "explanation": "", "decision": {**DECISION, "reason": ""}},
    ],
    "decision_notice": [
        {**NOTICE, "outcome": "approved", "revise_id": None},
        {**NOTICE, "outcome": "changes", "reason": HOSTILE, "revise_id": 5},
        {**NOTICE, "outcome": "denied", "reason": HOSTILE, "revise_id": None},
        {
            **NOTICE,
            "what": "request to share with " + HOSTILE,
            "outcome": "approved",
            "revise_id": None,
            "sharing_request_id": 2,
        },
        {**NOTICE, "outcome": "denied", "revise_id": None, "sharing_request_id": None},
    ],
    "strategy_in_force": [
        {
            "reference": "SC-1",
            "restrictions": [HOSTILE],
            "review_date": "01 Feb 2027",
            "role": "You are their single point of contact.",
        }
    ],
    "authorisation_nudge": [
        {"reference": "SC-1", "hours": 24, "kind": "strategy"},
        {"reference": "SC-1", "hours": 30, "kind": "sharing"},
    ],
}
MONITORING_MODELS: dict[str, list[dict[str, Any]]] = {
    "police_nudge": [
        {"reference": "SC-1", "incident_id": 3, "occurred_at": "t"},  # queued before steps
        {
            "reference": "SC-1",
            "incident_id": 3,
            "said": HOSTILE,
            "escalated": False,
            "may_decide_not": False,
        },
        {
            "reference": "SC-1",
            "incident_id": 3,
            "said": HOSTILE,
            "escalated": True,
            "may_decide_not": True,
        },
    ],
    "review_due": [
        {"strategy_id": 4, "reference": "SC-1", "review_date": "01 Feb 2027", "when": "today"},
        {
            "strategy_id": 4,
            "reference": "SC-1",
            "review_date": "d",
            "when": "overdue by 30 days",
            "escalated": True,
            "chief_executive_title": HOSTILE,
            "may_review": False,
        },
        {
            "strategy_id": 4,
            "reference": "SC-1",
            "review_date": "d",
            "when": "overdue by 30 days",
            "escalated": True,
            "chief_executive_title": "Chief Executive",
            "may_review": True,
        },
    ],
    "review_notice": [
        {"reference": "SC-1", "outcome": "continued", "by": HOSTILE, "review_date": "d"},
        {"reference": "SC-1", "outcome": "ended", "by": HOSTILE, "review_date": "d"},
    ],
    "breach_alert": [BREACH, {**BREACH, "recent": 1, "threshold_reached": False}],
    "contact_flag_alert": [
        {
            "reference": "SC-1",
            "logged_by": HOSTILE,
            "occurred_at": "t",
            "channel": "Email",
            "summary": HOSTILE,
            "criminal": True,
            "safeguarding": True,
            "flags": ["criminal matter", "safeguarding issue"],
            "fallback": True,
        }
    ],
    "dispute_card": [
        DISPUTE,
        {
            **DISPUTE,
            "authorised_by": [],
            "decision": {
                "outcome": "upheld",
                "label": "The restricted contact arrangements still apply",
                "by": HOSTILE,
                "at": "t",
                "reasons": HOSTILE,
            },
        },
    ],
    "dispute_notice": [{"reference": "SC-1", "decider": HOSTILE}],
    "dispute_outcome_notice": [
        {
            "reference": "SC-1",
            "outcome": "different",
            "label": "A different course",
            "by": HOSTILE,
            "reasons": HOSTILE,
            "strategy_id": 4,
        },
        {
            "reference": "SC-1",
            "outcome": "different",
            "label": "A different course",
            "by": HOSTILE,
            "reasons": HOSTILE,
            "strategy_id": 4,
            "may_review": False,
        },
        {
            "reference": "SC-1",
            "outcome": "upheld",
            "label": "Still apply",
            "by": HOSTILE,
            "reasons": HOSTILE,
            "strategy_id": None,
        },
    ],
}
HOME = {
    "name": HOSTILE,
    "reports": [{"reference": "SC-1", "occurred_at": "t", "status": "acknowledged"}],
    "awaiting": [
        {
            "incident_id": 3,
            "reference": "SC-2",
            "reporter": HOSTILE,
            "occurred_at": "t",
            "police_required": True,
        }
    ],
    "requests": [
        {
            "reference": "SC-3",
            "what": "a contact strategy",
            "requested_by": HOSTILE,
            "requested_at": "t",
        }
    ],
    "disputes": [{"dispute_id": 4, "reference": "SC-4", "received_on": "1 Nov 2026"}],
}

MODELS: dict[str, list[dict[str, Any]]] = {
    "home": [
        HOME,
        {**HOME, "name": "Sam", "reports": [], "awaiting": [], "requests": [], "disputes": []},
    ],
    "incident_card": [INCIDENT, {**INCIDENT, "acknowledged": None, "police_required": False}],
    "incident_receipt": [
        {
            "reference": "SC-1",
            "person_name": HOSTILE,
            "occurred_at": "t",
            "told": "your manager, Jo",
            "police_required": True,
        }
    ],
    "welfare_checkin": [
        {"checkin_id": 1, "intro": "How are you?", "answer": None},
        {"checkin_id": 1, "intro": "How are you?", "answer": "I'm OK", "note": HOSTILE},
    ],
    "support": [SUPPORT, {**SUPPORT, "policies": [], "eap": {**SUPPORT["eap"], "url": ""}}],
    "talk_request": [{"staff_name": HOSTILE}],
    "notice": [{"text": HOSTILE}, {"text": HOSTILE, "title": "Report saved"}],
    "admin_alert": [{"recipient": HOSTILE, "what": "a letter", "reason": HOSTILE, "message_id": 4}],
    "unreachable": [{"recipient": HOSTILE, "what": "a letter", "reason": HOSTILE}],
    "case_summary": [
        {"query": "SC-1", "matches": [], "summary": NO_STRATEGY},
        # s9: an anonymised case, closed for good: said so, and no buttons.
        {"query": "SC-1", "matches": [], "summary": {**NO_STRATEGY, "closed": True}},
        {"query": HOSTILE, "matches": [], "summary": None},
        {"query": "m", "matches": [{"reference": "SC-1", "name": HOSTILE}] * 2, "summary": None},
        {
            "query": "SC-1",
            "matches": [],
            "summary": {
                "reference": "SC-1",
                "name": HOSTILE,
                "needs": HOSTILE,
                "incident_count": 2,
                "last_incident": {"at": "t", "channel": "Email", "behaviours": [HOSTILE]},
                "warnings": ["Written warning, 01 Nov 2026"],
                "police_referrals": "1 referral recorded; none required",
                "person_id": 1,
                "restrictions": [
                    {
                        "id": 2,
                        "status": "active",
                        "restrictions": ["Calls limited to 10 minutes", HOSTILE],
                        "spoc": HOSTILE,
                        "review_date": "01 Feb 2027",
                        "routes": ["email"],
                        "may_review": True,
                    }
                ],
                "recent_breaches": 0,
                "breach_window_days": 30,
                "contact_log": {"total": 0, "entries": []},
                "further_actions": [],
                "may_record_further": True,
                "may_propose": True,
            },
        },
        {
            "query": "SC-1",
            "matches": [],
            "summary": {
                "reference": "SC-1",
                "name": "N",
                "needs": "",
                "incident_count": 0,
                "last_incident": None,
                "warnings": [],
                "police_referrals": "None recorded; none required",
                "person_id": 1,
                "restrictions": [
                    {
                        "id": 2,
                        "status": "active",
                        "restrictions": ["Email only"],
                        "spoc": None,
                        "review_date": "01 Feb 2027",
                        "routes": [],
                        "may_review": False,
                    }
                ],
                "may_propose": False,
                "recent_breaches": 2,
                "breach_window_days": 30,
                "contact_log": {
                    "total": 3,
                    "entries": [
                        {
                            "at": "t",
                            "channel": "Email",
                            "by": HOSTILE,
                            "summary": HOSTILE,
                            "urgent": True,
                            "flags": ["safeguarding"],
                        }
                    ],
                },
                "further_actions": [HOSTILE],
                "may_record_further": False,
            },
        },
    ],
    "help": [{"commands": [{"usage": "incident", "description": "Report"}], "said": HOSTILE}],
    **STRATEGY_MODELS,
    **MONITORING_MODELS,
    "letter_file": [
        {
            "reference": "SC-1",
            "comment": "Here is the letter.",
            "subject": HOSTILE,
            "paragraphs": [["Dear " + HOSTILE + ","], ["  - a", "  - b"]],
            "truncated": True,
            "download_url": None,
            "large_print_url": None,
            "enclosures": [],
            "link_days": 0,
        },
        {
            "reference": "SC-1",
            "comment": HOSTILE,
            "subject": HOSTILE,
            "paragraphs": [["Dear " + HOSTILE + ","], ["1 High Street", "Town"]],
            "truncated": False,
            "download_url": "https://bot.example.org/letters/1.pdf?expires=1&sig=ab",
            "large_print_url": "https://bot.example.org/letters/1.pdf?expires=1&print=large&sig=ab",
            # The policy's title is the office's own words: shown literally too.
            "enclosures": [
                {
                    "title": HOSTILE,
                    "label": "Policy to enclose",
                    "url": "https://bot.example.org/letters/1/enclosures/0?expires=1&sig=ab",
                }
            ],
            "link_days": 7,
        },
    ],
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_template_is_a_valid_card_with_people_text_shown_literally(
    validator: Draft6Validator, name: str
) -> None:
    for model in MODELS[name]:
        card = render("teams", name, model)
        check(validator, card)
        assert card["fallbackText"]
        # fallbackText is the plain-text notification preview; everything shown is escaped.
        raw = json.dumps({k: v for k, v in card.items() if k != "fallbackText"})
        assert "[y](https" not in raw and "**x**" not in raw, "markup from people is escaped"
        if HOSTILE in json.dumps(model):
            assert HOSTILE in visible(card) or HOSTILE in card["fallbackText"]


# Slack surfaces Teams has no equivalent of, each with why. Everything else the bot can
# send on Slack it must be able to send on Teams, or a Teams-only recipient is failed.
SLACK_ONLY: dict[str, str] = {
    # None left: the App Home's "home" is the Teams `waiting` command's card.
}


def test_every_slack_template_has_a_teams_twin() -> None:
    slack_dir = Path(render_module.__file__).parent / "templates" / "slack"
    names = sorted(p.name.removesuffix(".json.j2") for p in slack_dir.glob("*.json.j2"))
    assert "authorisation_card" in names and "form" in names  # the listing found them
    missing = [n for n in names if n not in SLACK_ONLY and not has_template("teams", n)]
    assert missing == [], f"Slack templates with no Teams card: {missing}"
    # Each exception is still Slack-only; a Teams twin would make it a plain template.
    assert all(n in names and not has_template("teams", n) for n in SLACK_ONLY)


def every_kind() -> FormSpec:
    opts = [Choice(value="a", label="A"), Choice(value="b", label="B")]
    return FormSpec(
        name="sample",
        title="Sample",
        fields=[
            FieldSpec(id="info", label="Read this (s4)", kind="info", required=False),
            FieldSpec(id="t", label="Text", kind="text", max_length=10),
            FieldSpec(id="ta", label="Long", kind="textarea", required=False, max_length=100),
            FieldSpec(id="n", label="Number", kind="number", min_value=1, max_value=9),
            FieldSpec(id="s", label="Select", kind="select", options=opts),
            FieldSpec(id="m", label="Multi", kind="multiselect", options=opts),
            FieldSpec(
                id="g",
                label="Grouped",
                kind="multiselect",
                groups=[
                    ChoiceGroup(label="One", options=opts[:1]),
                    ChoiceGroup(label="Two", options=opts[1:]),
                ],
            ),
            FieldSpec(id="r", label="Radio", kind="radio", options=opts),
            FieldSpec(id="c", label="Checks", kind="checkboxes", options=opts),
            FieldSpec(id="dt", label="When", kind="datetime"),
            FieldSpec(id="d", label="Day", kind="date"),
            FieldSpec(id="p", label="Who", kind="person", required=False),
        ],
        context={"incident_id": 5},
        values={"dt": 1764000000, "d": "2026-01-02", "n": 3, "g": ["b"], "c": ["a", "b"], "s": "b"},
        timezone="Europe/London",
    )


def test_form_renders_every_field_kind_and_reads_back(validator: Draft6Validator) -> None:
    spec = every_kind()
    card = render_form(spec)
    check(validator, card)
    by_id = {i["id"]: i for i in inputs(card)}
    assert set(by_id) == {
        "t",
        "ta",
        "n",
        "s",
        "m",
        "g__0",
        "g__1",
        "r",
        "c",
        "dt__date",
        "dt__time",
        "d",
        "p",
    }
    assert by_id["dt__date"]["value"] == "2025-11-24" and by_id["dt__time"]["value"] == "16:00"
    assert by_id["g__1"]["value"] == "b" and "value" not in by_id["g__0"]
    assert by_id["c"]["value"] == "a,b" and by_id["s"]["value"] == "b"
    for element in by_id.values():
        assert element.get("label") and "isRequired" in element and element.get("errorMessage")
    # What the client sends back becomes what dialogs/ validates.
    data = {
        "_context": {"incident_id": 5},
        **{k: str(v.get("value", "")) for k, v in by_id.items()},
    }
    data.update({"g__0": "a", "p": "SC-2026-00001", "m": "a,b"})
    sub = form_submission(spec, data)
    assert sub.values["dt"] == 1764000000
    assert sub.values["g"] == ["a", "b"] and sub.values["m"] == ["a", "b"]
    assert sub.people == {"p": "SC-2026-00001"} and "p" not in sub.values
    assert sub.context == {"incident_id": 5}


def test_form_with_errors_shows_them_under_their_fields(validator: Draft6Validator) -> None:
    ctx = Ctx(
        db=None,  # type: ignore[arg-type]  # form() reads no data
        organisation=Organisation(),
        policy=PolicySettings(),
        now=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night the clocks go forward
    )
    spec = incident_form(ctx)
    card = render_form(
        spec,
        shown={"what_happened": HOSTILE, "behaviours": ["abuse", "volume"]},
        errors={"what_happened": HOSTILE, "channel": "Choose one of the options given."},
    )
    check(validator, card)
    text = visible(card)
    assert "Please correct the highlighted fields." in text
    assert f"⚠️ {HOSTILE}" in text
    by_id = {i["id"]: i for i in inputs(card)}
    assert by_id["what_happened"]["value"] == HOSTILE
    assert (
        by_id["behaviours__0"]["value"] == "abuse" and by_id["behaviours__1"]["value"] == "volume"
    )
    plain = render_form(spec)
    dates = {i["id"]: i.get("value") for i in inputs(plain) if i["id"].startswith("occurred_at")}
    assert dates == {"occurred_at__date": "2026-03-29", "occurred_at__time": "00:30"}


def test_a_reused_render_is_a_fresh_payload_and_the_cache_stays_bounded() -> None:
    """Rendering is memoised by model (a form is the same for a minute); callers still
    get their own dict, and a changed model is rendered afresh."""
    first = render("teams", "notice", {"text": "Saved."})
    first["body"].clear()
    again = render("teams", "notice", {"text": "Saved."})
    assert again["body"] and again == render("teams", "notice", {"text": "Saved."})
    assert "Changed." in visible(render("teams", "notice", {"text": "Changed."}))
    for n in range(render_module.RENDERED_KEPT * 2):
        render("teams", "notice", {"text": f"Message {n}"})
    assert len(render_module._RENDERED) <= render_module.RENDERED_KEPT
    # A model that is not plain JSON is rendered, not remembered.
    before = len(render_module._RENDERED)

    class Heading:
        def __str__(self) -> str:
            return "Report saved"

    assert "Report saved" in visible(render("teams", "notice", {"text": "x", "title": Heading()}))
    assert len(render_module._RENDERED) == before
