"""Every letter kind in every format, for an ordinary case and a hostile one (issue 14).

Each letter is built by the real model builders (dialogs/letters.py `heading`,
dialogs/strategy/letter.py `letter_model`) and rendered by cards/letters.py to HTML and
plain text, and by cards/letter_pdf.py to PDF; the PDF's text (pypdf) says what the plain
text says. Every rendering passes the bad-letter-text checker (tests/letter_check.py):
the person-facing summaries are printed, the internal reasons never are (s7), and the
layout is the letterhead, reference and date, addressee, salutation, body and sign-off.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest

from cards import letters
from cards.letter_pdf import pdf
from dialogs.context import Ctx
from dialogs.letters import NO_OUTCOME_SUMMARY, NO_REVIEW_SUMMARY, NO_SUMMARY, enclosures, heading
from dialogs.office import Organisation, PolicySettings
from dialogs.strategy.letter import letter_model
from storage.models import ContactStrategy, Person, StaffMember
from storage.models.staff import StaffRole
from storage.models.strategy import Restriction
from tests.journey import reading
from tests.letter_check import check, problems

INTERNAL = "On 4 December he threatened the duty officer. Internal note: see HR file 12."
HOSTILE_MARKUP = '<script>alert("x")</script> & <b>bold</b>'
RTL = "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd"
LONG = "Bartholomew-" + "Featherstonehaugh" * 10


def _case(hostile: bool) -> dict[str, Any]:
    name = f"{LONG} {RTL} {HOSTILE_MARKUP}"[:200] if hostile else "Dennis Harlow"
    org = Organisation(
        name=HOSTILE_MARKUP if hostile else "Office of the Police and Crime Commissioner",
        address="1 Example Street\nExampletown\nEX1 2MP",
        phone="01632 960000",
        email="enquiries@example.org",
        website="https://www.example.org",
        opening_hours="Monday to Friday, 9am to 5pm",
        policy_url="https://www.example.org/policy",
    )
    ctx = Ctx(
        db=None,  # type: ignore[arg-type]  # the letter builders read no data
        organisation=org,
        policy=PolicySettings(),
        now=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
    )
    person = Person(
        id=1,
        reference="SC-2026-00001",
        name=name,
        postal_address=(
            f"{RTL}\n2 {HOSTILE_MARKUP} Road\nOthertown OT1 1AA"
            if hostile
            else "2 High Road\nExampletown EX2 3AB"
        ),
        email=None,
    )
    signatory = StaffMember(
        id=7, email="jo@example.org", name=f"Jo {RTL}" if hostile else "Jo Reed"
    )
    signatory.roles = [StaffRole(role="authoriser"), StaffRole(role="manager")]
    spoc = StaffMember(
        id=8, email="sam@example.org", name=f"Sam {HOSTILE_MARKUP}" if hostile else "Sam Patel"
    )
    strategy = ContactStrategy(
        id=3,
        person_id=1,
        proposer_id=7,
        status="approved",
        reasons=INTERNAL,
        public_summary=(
            f"You sent us {HOSTILE_MARKUP} {RTL} messages."
            if hostile
            else "You have called us many times a day and shouted at staff."
        ),
        review_date=date(2027, 3, 5),
        review_after_days=90,
        takes_effect_on=date(2026, 12, 14) if hostile else None,
        letter_channel="letter",
        large_print=hostile,
    )
    strategy.restrictions = [
        Restriction(kind="call_limit", call_minutes=15),
        Restriction(kind="spoc", spoc_staff_id=8),
    ]
    names = {7: signatory.name, 8: spoc.name}
    return {
        "ctx": ctx,
        "person": person,
        "signatory": signatory,
        "strategy": strategy,
        "names": names,
    }


def _model(kind: str, case: dict[str, Any], variant: str) -> dict[str, Any]:
    ctx, person, signatory = case["ctx"], case["person"], case["signatory"]
    if kind == "warning":
        return {
            **heading(ctx, person, signatory),
            "occurred_on": "01 December 2026",
            "channel": "telephone",
            "behaviours": [{"section": "3.1", "text": "Swearing or offensive language"}],
            "behaviour_to_change": "Please speak to our staff calmly.",
        }
    # Words people wrote, hostile in the hostile case as the names are.
    hostile = person.name != "Dennis Harlow"
    if kind == "spoc_appointed":
        return {
            **heading(ctx, person, signatory),
            "spoc_name": f"Sam {HOSTILE_MARKUP} {RTL}" if hostile else "Sam Patel",
            "spoc_role": "Caseworker",
            "since": "01 December 2026",
        }
    if kind == "signpost":
        return {
            **heading(ctx, person, signatory),
            "matter_words": f"your complaint {HOSTILE_MARKUP} {RTL}"
            if hostile
            else "your complaint about a police officer's conduct",
            "body": {
                "name": "Warwickshire Police Professional Standards Department",
                "handles": "complaints about police officers and staff",
                "contact": "Write to PSD, PO Box 4, Leek Wootton, CV35 7QA, or call 101.",
            },
        }
    model = letter_model(ctx, case["strategy"], person, signatory, case["names"])
    extra: dict[str, Any] = {
        "breach_reminder": {"breach_on": "02 December 2026", "breach_channel": "email",
                            "breached": "Phone calls limited to 15 minutes"},
        "strategy_continued": {"review_summary": "" if variant == "old" else "It is better."},
        "strategy_ended": {"review_summary": "Ended."},
        "dispute_outcome": {"received_on": "03 December 2026", "outcome": variant,
                            "outcome_summary": "We looked again and the limit stays.",
                            "considered_by": "our Chief Executive", "still_in_force": True},
    }.get(kind, {})  # fmt: skip
    return {**model, **extra}


KINDS = [
    ("warning", ""),
    ("strategy", ""),
    ("breach_reminder", ""),
    ("strategy_continued", ""),
    ("strategy_continued", "old"),
    ("strategy_ended", ""),
    ("dispute_outcome", "upheld"),
    ("dispute_outcome", "different"),
    ("signpost", ""),
    ("spoc_appointed", ""),
]


def _squash(text: str) -> str:
    """Text without layout: no isolate marks, bullets, page footers or whitespace."""
    text = re.sub(r"Page \d+ of \d+", "", text)
    text = re.sub(r"[\u2066-\u2069•]|^\s*- ", "", text, flags=re.M)
    # pypdf reads a line in visual order, where a neutral mark ("<", "&") beside
    # right-to-left text may stand on its other side; letters and digits keep their order.
    text = "".join(c for c in text if unicodedata.bidirectional(c) != "ON")
    return "".join(text.split()).casefold()


@pytest.mark.parametrize("hostile", [False, True], ids=["ordinary", "hostile"])
@pytest.mark.parametrize(("kind", "variant"), KINDS)
def test_every_letter_in_every_format(kind: str, variant: str, hostile: bool) -> None:
    case = _case(hostile)
    model = _model(kind, case, variant)
    subject, html, text = letters.render(kind, model)
    internal = [INTERNAL]
    check(text, internal=internal)
    check(html, html=True, internal=internal)
    check(subject, internal=internal)
    if not hostile:  # and as the journey tests read every message (tests/journey/reading.py)
        assert reading.problems(text) == []

    # HTML: every value escaped; the title and language set for the PDF (PDF/UA).
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert '<html lang="en-GB">' in html and "<title>Our reference SC-2026-00001" in html

    # The layout: letterhead, reference and date, addressee, salutation, body, sign-off.
    lines = [line.replace("\u2068", "").replace("\u2069", "") for line in text.splitlines()]
    order = [
        "Telephone: 01632 960000",
        "Email: enquiries@example.org",
        "Website: https://www.example.org",
        "Open: Monday to Friday, 9am to 5pm",
        "Our reference: SC-2026-00001",
        "05 December 2026",
        "Exampletown EX2 3AB" if not hostile else "Othertown OT1 1AA",
        f"Dear {case['person'].name},",
        "Yours sincerely,",
        case["signatory"].name,
        "Senior manager",
    ]
    at = [lines.index(line) for line in order]
    assert at == sorted(at), "the letter is not laid out in order"
    assert "Sent by" not in text

    # The PDF says what the plain text says, in large print when asked (s5).
    reader = pypdf.PdfReader(io.BytesIO(pdf(html, large_print=model["large_print"])))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    assert not problems(pdf_text, layout=False, internal=internal)
    assert _squash(pdf_text) == _squash(text)
    # Nothing runs off the page: a name with no space in it wraps within the margins
    # (about 80 characters a line at 12 point, 55 in large print).
    longest = max(len(word) for word in pdf_text.split())
    assert longest <= (55 if model["large_print"] else 80), longest


def test_the_strategy_letter_tells_the_summary_and_how_to_reach_the_spoc() -> None:
    case = _case(False)
    _, _, text = letters.render("strategy", _model("strategy", case, ""))
    assert "You have called us many times a day and shouted at staff." in text
    assert INTERNAL not in text and "threatened" not in text
    assert (
        "Your single point of contact is Sam Patel. Please contact Sam Patel through our "
        "office: telephone 01632 960000 or email enquiries@example.org, asking for them by name."
    ) in text
    assert "These arrangements start on the day we send you this letter." in text
    assert "within 90 days of the day they start" in text
    # s7: the policy is linked, and the letter claims no enclosure it does not have.
    assert "You can read it at https://www.example.org/policy" in text
    assert "enclosed" not in text


def test_a_later_start_is_stated() -> None:
    case = _case(True)
    _, _, text = letters.render("strategy", _model("strategy", case, ""))
    # s6: never before they are told, whatever day was set (dialogs/notice/rules.py).
    assert (
        "These arrangements start on 14 December 2026, or on the day we send you this "
        "letter if that is later."
    ) in text


def test_the_ended_letter_says_why_in_the_words_written_for_them() -> None:
    """The review form's "What we will tell them" for an ending (s7.1: told of changes)."""
    case = _case(False)
    model = {**_model("strategy_ended", case, ""), "review_summary": "Things have improved."}
    _, html, text = letters.render("strategy_ended", model)
    assert "WHY\n\nThings have improved." in text and "<h2>Why</h2>" in html
    check(text, internal=[INTERNAL])
    # An old row with no summary: no empty heading, and never the reasons.
    _, _, text = letters.render("strategy_ended", {**model, "review_summary": ""})
    assert "WHY" not in text
    check(text, internal=[INTERNAL])


@pytest.mark.parametrize(
    ("kind", "variant", "field", "neutral"),
    [
        ("strategy", "", "summary", NO_SUMMARY),
        ("breach_reminder", "", "summary", NO_SUMMARY),
        ("strategy_continued", "", "review_summary", NO_REVIEW_SUMMARY),
        ("dispute_outcome", "upheld", "outcome_summary", NO_OUTCOME_SUMMARY),
        ("dispute_outcome", "different", "outcome_summary", NO_OUTCOME_SUMMARY),
    ],
)
def test_an_empty_summary_prints_the_neutral_sentence_not_the_reasons(
    kind: str, variant: str, field: str, neutral: str
) -> None:
    """Rows from before the summary was asked for: the reasons are never the fallback."""
    case = _case(False)
    case["strategy"].public_summary = None
    model = {**_model(kind, case, variant), field: ""}
    _, html, text = letters.render(kind, model)
    assert neutral in text
    check(text, internal=[INTERNAL])
    check(html, html=True, internal=[INTERNAL])


@pytest.mark.parametrize(
    ("settings", "says", "never"),
    [
        ({}, 'Our policy, "Managing unacceptable or unreasonable behaviour", explains more. '
             "Please ask us and we will send you a copy.", ["enclosed", "read it at"]),
        ({"policy_document_file": __file__},
         'We have enclosed a copy of our policy, "Managing unacceptable or unreasonable '
         'behaviour", which explains more.', ["read it at"]),
        ({"unacceptable_behaviour_policy_url": "https://example.org/p"},
         "You can read it at https://example.org/p", ["enclosed"]),
    ],
)  # fmt: skip
def test_the_letter_says_exactly_what_is_enclosed_or_linked(
    settings: dict[str, str], says: str, never: list[str]
) -> None:
    """s7: "A copy of this policy will be provided"; the old setting name still works."""
    case = _case(False)
    org = Organisation.model_validate(settings)
    ctx = Ctx(db=None, organisation=org, policy=PolicySettings(), now=case["ctx"].now)  # type: ignore[arg-type]
    model = letter_model(ctx, case["strategy"], case["person"], case["signatory"], case["names"])
    _, _, text = letters.render("strategy", model)
    assert says in " ".join(text.split())
    for word in never:
        assert word not in text
    assert (org.policy_missing() is None) == bool(settings)


def test_a_missing_policy_file_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"organisation\.policy_document_file: there is no file"):
        Organisation(policy_document_file="/nonexistent/policy.pdf")


def test_the_warning_letter_says_truly_when_a_limit_would_start() -> None:
    """A strategy takes effect only once its letter is sent (issue 14; s6 warned first)."""
    case = _case(False)
    _, _, text = letters.render("warning", _model("warning", case, ""))
    assert "We would always write to you first" not in text
    assert "Any limit would start only once we had written to you" in " ".join(text.split())


def test_the_checker_catches_bad_letter_text() -> None:
    assert problems("Dear ['Dennis'],")
    assert problems("Dear {'name': 'x'}")
    assert problems("Review: None")
    assert problems("Dear {{ person_name }},")
    assert problems("WHY\n\nWHAT WILL CHANGE\n\n - x")
    assert problems("<h2>Why</h2>\n<p> </p>", html=True)
    assert problems("Dear Dennis,\n\n\n\nWe are writing about your contact with us.")
    assert problems("We are writing about your contact with us by telephone on Monday.\nNext.")
    assert problems(
        "He threatened the duty officer today.", internal=["He threatened the duty officer today."]
    )
    assert not problems("Dear Dennis Harlow,\n\nWHY\n\nBecause.")


def test_the_policy_file_goes_with_the_strategy_letter_only(tmp_path: Path) -> None:
    """What the sender encloses or attaches: exactly what the letter says is enclosed."""
    policy = tmp_path / "policy.pdf"
    policy.write_bytes(b"%PDF-1.7")
    org = Organisation(policy_document_file=str(policy), policy_document_title="Our policy")
    (enclosed,) = enclosures(org, "strategy")
    assert (enclosed.path, enclosed.title) == (policy, "Our policy")
    assert enclosures(org, "warning") == []
    assert enclosures(org, "breach_reminder") == []
    assert enclosures(Organisation(), "strategy") == []
    # Linked only: nothing to enclose (the letter gives the address instead).
    assert enclosures(Organisation(policy_url="https://example.org/p"), "strategy") == []


def test_the_sign_off_uses_the_offices_own_role_titles() -> None:
    case = _case(False)
    org = Organisation(letter_role_titles={"authoriser": "Head of Business Services"})
    ctx = Ctx(db=None, organisation=org, policy=PolicySettings(), now=case["ctx"].now)  # type: ignore[arg-type]
    model = {**_model("warning", case, ""), **heading(ctx, case["person"], case["signatory"])}
    _, _, text = letters.render("warning", model)
    assert "Jo Reed\nHead of Business Services\n" in text
    with pytest.raises(ValueError, match="chief is not a role that signs letters"):
        Organisation(letter_role_titles={"chief": "Boss"})


def test_an_alteration_letter_says_the_arrangements_change() -> None:
    """s7.1: "The member of the public should be told about any changes"."""
    case = _case(False)
    case["strategy"].supersedes_id = 2
    subject, html, text = letters.render("strategy", _model("strategy", case, ""))
    flat = " ".join(text.split())
    assert "we have decided to change them" in flat
    assert "We have decided to put in place a contact strategy" not in flat
    check(text, internal=[INTERNAL])
    check(html, html=True, internal=[INTERNAL])
