"""The monitoring letters as pure renders: every free-text value is escaped in HTML.

Reasons, grounds, restriction wording (which carries advocate names and email
addresses) and the person's own name all come from people; none may become markup in
a letter to a member of the public.
"""

from __future__ import annotations

from typing import Any

import pytest

from cards import letters
from dialogs.letters import NEUTRAL
from dialogs.office import Organisation

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def model(**extra: Any) -> dict[str, Any]:
    return {
        "organisation": Organisation(address=HOSTILE).model_dump(),
        "address_line": HOSTILE,
        "enclosure": Organisation().policy_enclosure(),
        "addressee": [HOSTILE, HOSTILE],
        "signatory_role": HOSTILE,
        "summary": HOSTILE,
        "spoc": None,
        "review_when": "by 01 September 2026",
        "takes_effect_on": None,
        **NEUTRAL,
        "date": "01 June 2026",
        "reference": "SC-2026-00001",
        "person_name": HOSTILE,
        "restrictions": [HOSTILE],
        "routes": ["Letter"],
        "advocate": {"name": HOSTILE, "contact": HOSTILE},
        "review_date": "01 September 2026",
        "in_force_since": "01 March 2026",
        "send_by": "letter",
        "signatory": HOSTILE,
        "large_print": True,
        **extra,
    }


CASES = [
    ("breach_reminder",
     {"breach_on": "02 June 2026", "breach_channel": "email", "breached": HOSTILE}),
    ("strategy_continued", {"review_summary": HOSTILE}),
    ("strategy_ended", {"review_summary": HOSTILE}),
    (
        "dispute_outcome",
        {"received_on": "03 June 2026", "outcome": "upheld", "outcome_summary": HOSTILE,
         "considered_by": HOSTILE, "still_in_force": True},
    ),
    (
        "dispute_outcome",
        {"received_on": "03 June 2026", "outcome": "different", "outcome_summary": HOSTILE,
         "considered_by": HOSTILE, "still_in_force": False},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "extra"), CASES)
def test_letters_escape_every_value(kind: str, extra: dict[str, Any]) -> None:
    subject, html, text = letters.render(kind, model(**extra))
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html
    assert HOSTILE in text  # the plain-text letter shows what was typed
    assert "18pt" in html  # large print honoured (s5)
    assert "SC-2026-00001" in html and "SC-2026-00001" in text
    assert subject and "\n" not in subject
    assert "in another format" in text


def test_the_ended_letter_does_not_repeat_internal_reasons() -> None:
    """Why a strategy ended, as written for the person (the review form's "What we will
    tell them", issue 14); the internal reasons are for the case file and never reach the
    template (dialogs/review/flow.py passes only the summary)."""
    _, html, text = letters.render(
        "strategy_ended", model(review_summary="WRITTEN-FOR-THEM", reasons="INTERNAL-NOTE")
    )
    assert "WRITTEN-FOR-THEM" in html and "WRITTEN-FOR-THEM" in text
    assert "INTERNAL-NOTE" not in html and "INTERNAL-NOTE" not in text
